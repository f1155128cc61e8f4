"""The real `dvc repro` on the fixture corpus, in a temporary copy of the repository."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from .conftest import FIXTURE, ROOT

pytestmark = pytest.mark.slow

# Small enough for CI; every stage still runs for real.
OVERRIDES = {
    "corpus": {"source": str(FIXTURE), "size": "large"},
    "pretrain": {"dim": 16, "epochs": 2, "min_count": 1},
    "vocab": {"size": 300},
}


def merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        base[key] = merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


def run(cmd: list[str], cwd: Path) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def stages_run(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def set_params(repo: Path, extra: dict) -> None:
    path = repo / "params.yaml"
    path.write_text(yaml.safe_dump(merge(yaml.safe_load(path.read_text(encoding="utf-8")), extra), allow_unicode=True))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file() and not name.startswith("tests/"):
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_bytes(src.read_bytes())
    set_params(repo, OVERRIDES)
    run(["git", "init", "-q"], repo)
    first = run(["dvc", "repro"], repo)
    repo.joinpath("first_run.log").write_text(first)
    return repo


def test_every_stage_ran_and_wrote_its_outputs(repo):
    ran = stages_run((repo / "first_run.log").read_text())
    assert ran[:5] == ["fetch", "corpus", "pretrain", "vocab", "embed"]
    corpus = json.loads((repo / "metrics/corpus.json").read_text())
    assert corpus["kept"] == 400 and corpus["duplicates"] >= 6 and corpus["poems_read"] == 454
    train = (repo / "data/corpus/train.txt").read_text(encoding="utf-8").splitlines()
    assert len(train) == corpus["train"] and all(len(p) == 48 for p in train)
    assert len((repo / "data/corpus/dev.ids").read_text().splitlines()) == corpus["dev"]
    vocab = json.loads((repo / "metrics/vocab.json").read_text())
    assert vocab["size"] == 304 and 0 < vocab["oov_rate_train"] < vocab["oov_rate_dev"] < 0.5
    encoded = np.load(repo / "data/encoded/train.npy")
    assert encoded.shape == (corpus["train"], 50) and encoded.max() < vocab["size"]
    embedding = np.load(repo / "data/embedding.npy")
    assert embedding.shape == (304, 16)
    assert json.loads((repo / "metrics/embedding.json").read_text())["hit_rate"] > 0.9
    assert "月:" in (repo / "first_run.log").read_text()  # the neighbours sanity check is logged


def test_second_repro_runs_nothing(repo):
    assert stages_run(run(["dvc", "repro"], repo)) == []


def test_vocab_size_reruns_only_what_follows(repo):
    set_params(repo, {"vocab": {"size": 250}})
    output = run(["dvc", "repro"], repo)
    ran = stages_run(output)
    assert ran[:2] == ["vocab", "embed"], output
    assert not {"fetch", "corpus", "pretrain"} & set(ran)
    assert json.loads((repo / "metrics/vocab.json").read_text())["size"] == 254


def test_bad_param_fails_with_one_line_and_no_output(repo):
    set_params(repo, {"vocab": {"oov": "unk"}})
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    done = subprocess.run(["dvc", "repro"], cwd=repo, env=env, capture_output=True, text=True)
    set_params(repo, {"vocab": {"oov": "random"}})
    assert done.returncode != 0
    assert "error: unknown vocab.oov 'unk': choose one of random, token" in done.stdout + done.stderr
    assert not list((repo / "data").glob(".*tmp*"))
