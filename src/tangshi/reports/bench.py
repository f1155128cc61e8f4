"""Benchmark: one training step of every implementation on the same shapes, the poet's step, and batched generation.

    python -m tangshi.reports.bench [--hidden 512 --embed 300 --vocab 2004 --batch 64 --steps 50]

Everything is measured in one process and one run, so the ratios compare like
with like: tokens per second, milliseconds per step (median after warm-up),
achieved model FLOP/s (24·H·(E+H) per layer per token plus 6·H·V for a full
output layer, forward and backward) and that as a share of this machine's own
SGEMM peak. The peak is the best of several runs of square matmuls of several
sizes (a median of one size read low on a busy machine, and a step then ran
"above" it). The poet's step is timed with its own output layer: the adaptive
softmax over its dictionary, on Zipf-distributed targets (its tail is computed
only for the targets that fall in it, and counted so).
"""

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_json
from ..data.vocab import SPECIALS, Vocab
from ..models.poet import ModelConfig, build_poet, resolve_device, use_tf32
from ..training.trainer import TrainConfig, build_trainer
from ..writing.decode import Constraints, Request, write_poems

TARGETS = {  # ratio -> (target, direction, devices it is set for)
    "cold_write_one_poem_s": (2.0, "<=", ("cpu",)),
    "nn_lstm_of_peak": (0.80, ">=", ("cpu",)),
    "autograd_over_nn_lstm": (1.2, "<=", ("cpu",)),
    "compiled_autograd_over_nn_lstm": (2.0, "<=", ("cuda",)),
    "numpy_over_nn_lstm": (1.5, "<=", ("cpu",)),
    "generation_1024_over_1": (25.0, ">=", ("cpu", "cuda")),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_runs(fn, repeats: int, warmup: int, device: torch.device) -> list[float]:
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def median_seconds(fn, repeats: int, warmup: int, device: torch.device) -> float:
    return statistics.median(timed_runs(fn, repeats, warmup, device))


PEAK_SIZES = (1024, 2048, 3072)  # times the largest --gemm / 2048


def best_seconds(fn, repeats: int, warmup: int, device: torch.device) -> float:
    """The fastest of `repeats` timed runs: what the hardware can do, which a peak is."""
    return min(timed_runs(fn, repeats, warmup, device))


def sgemm_peak(device: torch.device, n: int, repeats: int) -> float:
    """The best FLOP/s of torch.mm over square sizes around n, each the fastest of `repeats` runs."""
    best = 0.0
    for size in sorted({max(64, n * s // 2048) for s in PEAK_SIZES}):
        a = torch.randn(size, size, device=device)
        b = torch.randn(size, size, device=device)
        best = max(best, 2 * size**3 / best_seconds(lambda: torch.mm(a, b), repeats, 2, device))
    return best


def numpy_sgemm_peak(n: int, repeats: int) -> float:
    best = 0.0
    for size in sorted({max(64, n * s // 2048) for s in PEAK_SIZES}):
        a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
        best = max(best, 2 * size**3 / best_seconds(lambda: a @ a, repeats, 2, torch.device("cpu")))
    return best


def model_flops_per_token(embed: int, hidden: int, layers: int, vocab: int) -> float:
    lstm = sum(24 * hidden * ((embed if layer == 0 else hidden) + hidden) for layer in range(layers))
    return lstm + 6 * hidden * vocab


def adaptive_flops(hidden: int, vocab: int, shortlist: int, tail_share: float) -> float:
    """Forward and backward FLOPs a token of the adaptive output layer: the head (shortlist + one cluster) for
    every token, the tail's two projections for the share of targets in it."""
    cutoff = max(1, min(shortlist, vocab // 2))
    tail = hidden * (hidden // 4) + (hidden // 4) * (vocab - cutoff)
    return 6 * hidden * (cutoff + 1) + 6 * tail * tail_share


def zipf_ids(rng: np.random.Generator, vocab: int, shape: tuple[int, int]) -> np.ndarray:
    """Token ids drawn with probability ~ 1/rank, as characters fall in verse."""
    p = 1.0 / np.arange(1, vocab + 1)
    return rng.choice(vocab, size=shape, p=p / p.sum())


def poet_step(args, device: torch.device, peak: float) -> dict:
    """One training step of the poet as it trains: its dictionary, its adaptive output layer, its aligned input
    (an E×E map more a token), its dropout; and the same step without the aligned input, timed in the same run."""
    E, H, V, B, T = args.embed, args.hidden, args.poet_vocab, args.batch, args.steps
    rng = np.random.default_rng(1)
    ids = zipf_ids(rng, V, (B, T + 1))
    ids[:, 6::12], ids[:, 12::12] = 2, 3  # lines of five characters: `，` and `。` in turn, so second lines align
    embedding = rng.standard_normal((V, E)).astype(np.float32)
    train = TrainConfig(optimizer="rmsprop", lr=1e-4, embedding="finetune", device=str(device))
    trainers = {
        aligned: build_trainer(ModelConfig("torch", 1, H, 0.1, output="adaptive", shortlist=args.shortlist,
                                           dictionary="poet", aligned=aligned), train, embedding, 0, device)
        for aligned in (False, True)
    }
    runs = {aligned: [] for aligned in trainers}
    for _ in range(args.warmup):
        for trainer in trainers.values():
            trainer.train_step(ids)
    for _ in range(args.repeats):  # in turn, so that a machine's drift lands on both alike
        for aligned, trainer in trainers.items():
            runs[aligned] += timed_runs(lambda: trainer.train_step(ids), 1, 0, device)
    seconds = {aligned: statistics.median(r) for aligned, r in runs.items()}
    tail_share = float((ids[:, 1:] >= max(1, min(args.shortlist, V // 2))).mean())
    flops = model_flops_per_token(E, H, 1, 0) + adaptive_flops(H, V, args.shortlist, tail_share) + 6 * E * E
    step = seconds[True]
    out = {"vocab": V, "shortlist": args.shortlist, "tail_share": tail_share, "ms_per_step": step * 1e3,
           "tokens_per_s": B * T / step, "gflops": flops * B * T / step / 1e9, "of_peak": flops * B * T / step / peak,
           "ms_per_step_plain_input": seconds[False] * 1e3}
    print(f"{'poet (adaptive)':17s} {step * 1e3:8.1f} ms/step  {B * T / step:9.0f} tok/s  {out['of_peak']:.0%} of SGEMM peak"
          f"  ({V} tokens, shortlist {args.shortlist}, {tail_share:.0%} of targets in the tail; "
          f"{seconds[False] * 1e3:.1f} ms without the aligned input)")
    return out


def fake_vocab(size: int) -> Vocab:
    chars = [chr(0x4E00 + i) for i in range(size - len(SPECIALS))]
    return Vocab(list(SPECIALS) + chars)


def time_train_step(trainer, ids: np.ndarray, args) -> tuple[float, float]:
    """Seconds of the first step (for a compiled model: the compilation) and the median step after warm-up."""
    start = time.perf_counter()
    trainer.train_step(ids)
    sync(trainer.device)
    first = time.perf_counter() - start
    return first, median_seconds(lambda: trainer.train_step(ids), args.repeats, args.warmup, trainer.device)


def cuda_precision(trainer, ids: np.ndarray) -> dict:
    """The float32 settings and the GPU kernels one nn.LSTM training step actually ran, longest first."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        trainer.train_step(ids)
        sync(trainer.device)
    kernels = sorted(
        ((e.key, getattr(e, "self_device_time_total", 0.0)) for e in prof.key_averages() if e.device_type.name == "CUDA"),
        key=lambda kv: -kv[1],
    )
    return {
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "kernels_by_time_us": [[name[:160], round(us, 1)] for name, us in kernels[:12]],
    }


def generate(poet, vocab, n: int, args, device) -> dict:
    requests = [Request() for _ in range(n)]
    constraints = Constraints(vocab)
    if device.type == "cuda":  # the decode loop must queue all its steps without waiting for the GPU
        write_poems(poet, vocab, requests, "form", constraints, seed=0, forbid_sync=True)
    run_once = lambda: write_poems(poet, vocab, requests, "form", constraints, seed=0)  # noqa: E731
    seconds = median_seconds(run_once, args.repeats if n <= 64 else 3, 1, device)
    return {"seconds": seconds, "tokens_per_s": n * 49 / seconds}


def cold_start(args) -> dict | None:
    """Seconds from a fresh process to one written poem (and to one checked poem), median of args.cold runs.

    A user's first `tangshi write` pays for imports and loading: the poet, the
    dictionary and the tone lexicon of the pipeline run (skipped where there is none).
    """
    model = Path(args.cold_model)
    if not (model / "config.json").exists() or not Path("data/vocab.json").exists():
        print(f"cold start: skipped, no trained model at {model} (run `make repro` first)")
        return None
    commands = {
        "write": ["write", "--model", str(model), "--start", "月", "-n", "1", "--device", "cpu"],
        "check": ["check", "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"],
    }
    out = {}
    for name, command in commands.items():
        times = []
        for _ in range(args.cold):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tangshi.app.cli", *command], capture_output=True, check=name == "write")
            times.append(time.perf_counter() - start)
        out[name] = statistics.median(times)
        print(f"cold start: tangshi {name} {out[name]:.2f} s (median of {args.cold})")
    return out


def run(args) -> dict:
    device = resolve_device(args.device)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    E, H, V, B, T, L = args.embed, args.hidden, args.vocab, args.batch, args.steps, args.layers
    ids = rng.integers(0, V, size=(B, T + 1))
    embedding = rng.standard_normal((V, E)).astype(np.float32)
    flops_token = model_flops_per_token(E, H, L, V)
    use_tf32(device)  # the peak in the precision the models run in
    peak = sgemm_peak(device, args.gemm, args.repeats)
    results, precision = {}, None
    impls = [("nn_lstm", "torch", False), ("autograd", "autograd", False)]
    impls += [("autograd_compiled", "autograd", True)] if args.compile else []
    impls += [("numpy", "numpy", False)] if L == 1 else []
    if args.compile:  # time a cold compilation, not a read of inductor's on-disk cache from an earlier run
        from torch._inductor import config as inductor_config

        inductor_config.force_disable_caches = True
    for name, impl, compiled in impls:
        train = TrainConfig(optimizer="rmsprop", lr=1e-4, embedding="frozen", clip=0.0, device=str(device), compile=compiled)
        trainer = build_trainer(ModelConfig(impl, L, H, 0.0), train, embedding, 0, device)
        first, seconds = time_train_step(trainer, ids, args)
        results[name] = {
            "ms_per_step": seconds * 1e3, "tokens_per_s": B * T / seconds,
            "gflops": flops_token * B * T / seconds / 1e9, "of_peak": flops_token * B * T / seconds / peak,
            "first_step_s": first,
        }
        if name == "nn_lstm" and device.type == "cuda":
            precision = cuda_precision(trainer, ids)
        extra = f"  (first step, with compilation: {first:.1f} s)" if compiled else ""
        print(f"{name:17s} {seconds * 1e3:8.1f} ms/step  {B * T / seconds:9.0f} tok/s  {results[name]['of_peak']:.0%} of SGEMM peak{extra}")
    poet_result = poet_step(args, device, peak)
    vocab = fake_vocab(V)
    poet = build_poet(ModelConfig("torch", L, H, 0.0), embedding, 0, "frozen", device=device)
    generation = {}
    for n in args.poems:
        generation[str(n)] = generate(poet, vocab, n, args, device)
        print(f"generate {n:5d} poems  {generation[str(n)]['seconds']:7.3f} s  {generation[str(n)]['tokens_per_s']:9.0f} tok/s")
    nn_ms = results["nn_lstm"]["ms_per_step"]
    ratios = {
        "nn_lstm_of_peak": results["nn_lstm"]["of_peak"],
        "poet_of_peak": poet_result["of_peak"],
        "poet_aligned_over_plain": poet_result["ms_per_step"] / poet_result["ms_per_step_plain_input"],
        "autograd_over_nn_lstm": results["autograd"]["ms_per_step"] / nn_ms,
        "generation_1024_over_1": generation[str(max(args.poems))]["tokens_per_s"] / generation[str(min(args.poems))]["tokens_per_s"],
    }
    if "autograd_compiled" in results:
        ratios["compiled_autograd_over_nn_lstm"] = results["autograd_compiled"]["ms_per_step"] / nn_ms
    if "numpy" in results:
        ratios["numpy_over_nn_lstm"] = results["numpy"]["ms_per_step"] / nn_ms
    cold = cold_start(args) if device.type == "cpu" and args.cold else None
    if cold:
        ratios["cold_write_one_poem_s"] = cold["write"]
    from threadpoolctl import threadpool_info

    return {
        "shapes": {"embed": E, "hidden": H, "vocab": V, "batch": B, "steps": T, "layers": L},
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "machine": {"cpu": platform.processor() or platform.machine(), "torch_threads": torch.get_num_threads()},
        "versions": {
            "torch": torch.__version__, "numpy": np.__version__,
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            "blas": [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for i in threadpool_info()],
        },
        "cuda_precision": precision,
        "sgemm_peak_gflops": peak / 1e9,
        "numpy_sgemm_peak_gflops": numpy_sgemm_peak(args.gemm, args.repeats) / 1e9 if device.type == "cpu" else None,
        "flops_per_token": flops_token,
        "train_step": results,
        "poet_step": poet_result,
        "generation": generation,
        "cold_start_s": cold,
        "ratios": ratios,
        "targets": {
            k: {"target": t, "direction": d, "met": (ratios[k] >= t if d == ">=" else ratios[k] <= t)}
            for k, (t, d, devices) in TARGETS.items() if k in ratios and device.type in devices
        },
    }


def table(report: dict) -> str:
    rows = ["| ratio | measured | target | met |", "|---|---|---|---|"]
    for key, value in report["ratios"].items():
        target = report["targets"].get(key)
        goal, met = (f"{target['direction']} {target['target']}", "yes" if target["met"] else "no") if target else ("—", "—")
        rows.append(f"| {key} | {value:.2f} | {goal} | {met} |")
    return "\n".join(rows)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m tangshi.reports.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--embed", type=int, default=300)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--vocab", type=int, default=2004)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=50, help="sequence length T")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--poet-vocab", type=int, default=7279, help="the poet's dictionary (data/poet_vocab.json)")
    p.add_argument("--shortlist", type=int, default=2000, help="the poet's adaptive head (models.poet.shortlist)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--gemm", type=int, default=2048, help="middle size of the square matmuls that measure peak")
    p.add_argument("--poems", type=int, nargs="+", default=[1, 64, 1024])
    p.add_argument("--device", default="auto")
    p.add_argument("--cold-model", default="models/poet", help="the trained model a cold `tangshi write` loads")
    p.add_argument("--cold", type=int, default=5, help="runs of each cold start (0: none)")
    p.add_argument("--no-compile", dest="compile", action="store_false", help="skip the torch.compile'd cell (its compilation takes a minute on a CPU)")
    p.add_argument("--out", default="metrics/bench.json")
    args = p.parse_args(argv)
    report = run(args)
    write_json(Path(args.out), report)
    print(table(report))


if __name__ == "__main__":
    main()
