"""The benchmark at toy shapes: every part runs, the poet's step is timed with its adaptive output layer, and the
SGEMM peak is the best of several runs and sizes, so no step reads above it."""

import json

import pytest

from tangshi.reports.bench import adaptive_flops, main


def test_adaptive_flops_count_the_head_always_and_the_tail_for_its_targets():
    head = 6 * 512 * 2001
    assert adaptive_flops(512, 7279, 2000, 0.0) == head
    assert adaptive_flops(512, 7279, 2000, 1.0) == head + 6 * (512 * 128 + 128 * 5279)


def test_bench_runs_at_toy_shapes(tmp_path):
    out = tmp_path / "bench.json"
    main(["--embed", "8", "--hidden", "16", "--vocab", "60", "--poet-vocab", "80", "--shortlist", "20", "--batch", "4",
          "--steps", "6", "--repeats", "3", "--warmup", "1", "--gemm", "256", "--poems", "1", "4", "--cold", "0",
          "--no-compile", "--device", "cpu", "--out", str(out)])
    report = json.loads(out.read_text())
    poet = report["poet_step"]
    assert poet["vocab"] == 80 and poet["shortlist"] == 20 and 0 < poet["tail_share"] < 1 and poet["tokens_per_s"] > 0
    shares = [r["of_peak"] for r in report["train_step"].values()] + [poet["of_peak"]]
    assert all(0 < s < 1 for s in shares), shares
    assert report["ratios"]["poet_of_peak"] == pytest.approx(poet["of_peak"])
    assert report["ratios"]["poet_aligned_over_plain"] == pytest.approx(poet["ms_per_step"] / poet["ms_per_step_plain_input"])
