"""DDP on 2 CPU processes (gloo) matches one process with the same global batch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

JOB = Path(__file__).with_name("ddp_job.py")
# Float sums of gradients differ in order between one process and an all-reduce of two.
TOLERANCE = 1e-4


def curve(folder: Path, metric: str) -> list[float]:
    rows = (folder / "plots" / "metrics" / f"{metric}.tsv").read_text().splitlines()[1:]
    return [float(r.split("\t")[-1]) for r in rows]


@pytest.mark.slow
def test_two_processes_match_one(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, str(JOB), str(tmp_path), "1"], check=True, env=env)
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(JOB), str(tmp_path), "2"],
        env=env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for metric in ("train/loss", "dev/ppl", "dev/ppl_chars"):
        one, two = curve(tmp_path / "dvclive-1", metric), curve(tmp_path / "dvclive-2", metric)
        assert len(one) == len(two) == 3
        assert two == pytest.approx(one, rel=TOLERANCE), metric
    assert not (tmp_path / "dvclive-2").joinpath("rank1").exists()
    assert sorted(p.name for p in (tmp_path / "models-2").iterdir()) == ["best.pt", "config.json", "last.pt"]
