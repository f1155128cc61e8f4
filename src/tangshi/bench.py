"""Benchmark: one training step of every implementation on the same shapes, and batched generation.

    python -m tangshi.bench [--hidden 512 --embed 300 --vocab 2004 --batch 64 --steps 50]

Everything is measured in one process and one run, so the ratios compare like
with like: tokens per second, milliseconds per step (median after warm-up),
achieved model FLOP/s (24·H·(E+H) per layer per token plus 6·H·V for the
output layer, forward and backward) and that as a share of this machine's own
SGEMM peak, measured here with a large matmul.
"""

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from .atomic import write_json
from .decode import Constraints, Request, write_poems
from .poet import ModelConfig, TrainConfig, build_poet, resolve_device
from .vocab import SPECIALS, Vocab

TARGETS = {  # ratio -> (target, direction)
    "nn_lstm_of_peak": (0.80, ">="),
    "autograd_over_nn_lstm": (1.2, "<="),
    "numpy_over_nn_lstm": (1.5, "<="),
    "generation_1024_over_1": (25.0, ">="),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn, repeats: int, warmup: int, device: torch.device) -> float:
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sgemm_peak(device: torch.device, n: int, repeats: int) -> float:
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    seconds = median_seconds(lambda: torch.mm(a, b), repeats, 2, device)
    return 2 * n**3 / seconds


def numpy_sgemm_peak(n: int, repeats: int) -> float:
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    seconds = median_seconds(lambda: a @ a, repeats, 2, torch.device("cpu"))
    return 2 * n**3 / seconds


def model_flops_per_token(embed: int, hidden: int, layers: int, vocab: int) -> float:
    lstm = sum(24 * hidden * ((embed if layer == 0 else hidden) + hidden) for layer in range(layers))
    return lstm + 6 * hidden * vocab


def fake_vocab(size: int) -> Vocab:
    chars = [chr(0x4E00 + i) for i in range(size - len(SPECIALS))]
    return Vocab(list(SPECIALS) + chars)


def run(args) -> dict:
    device = resolve_device(args.device)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    E, H, V, B, T, L = args.embed, args.hidden, args.vocab, args.batch, args.steps, args.layers
    ids = rng.integers(0, V, size=(B, T + 1))
    embedding = rng.standard_normal((V, E)).astype(np.float32)
    flops_token = model_flops_per_token(E, H, L, V)
    peak = sgemm_peak(device, args.gemm, args.repeats)
    train = TrainConfig(optimizer="rmsprop", lr=1e-4, embedding="frozen", clip=0.0, device=str(device))
    results = {}
    impls = [("nn_lstm", "torch"), ("autograd", "autograd")] + ([("numpy", "numpy")] if L == 1 else [])
    for name, impl in impls:
        poet = build_poet(ModelConfig(impl, L, H, 0.0), train, embedding, 0, device if impl != "numpy" else None)
        seconds = median_seconds(lambda: poet.train_step(ids), args.repeats, args.warmup, poet.device)
        results[name] = {
            "ms_per_step": seconds * 1e3, "tokens_per_s": B * T / seconds,
            "gflops": flops_token * B * T / seconds / 1e9, "of_peak": flops_token * B * T / seconds / peak,
        }
        print(f"{name:9s} {seconds * 1e3:8.1f} ms/step  {B * T / seconds:9.0f} tok/s  {results[name]['of_peak']:.0%} of SGEMM peak")
    vocab = fake_vocab(V)
    poet = build_poet(ModelConfig("torch", L, H, 0.0), train, embedding, 0, device)
    constraints = Constraints(vocab)
    generation = {}
    for n in args.poems:
        requests = [Request() for _ in range(n)]
        seconds = median_seconds(
            lambda: write_poems(poet, vocab, requests, "form", constraints, seed=0), args.repeats if n <= 64 else 3, 1, device
        )
        generation[str(n)] = {"seconds": seconds, "tokens_per_s": n * 49 / seconds}
        print(f"generate {n:5d} poems  {seconds:7.3f} s  {n * 49 / seconds:9.0f} tok/s")
    ratios = {
        "nn_lstm_of_peak": results["nn_lstm"]["of_peak"],
        "autograd_over_nn_lstm": results["autograd"]["ms_per_step"] / results["nn_lstm"]["ms_per_step"],
        "generation_1024_over_1": generation[str(max(args.poems))]["tokens_per_s"] / generation[str(min(args.poems))]["tokens_per_s"],
    }
    if "numpy" in results:
        ratios["numpy_over_nn_lstm"] = results["numpy"]["ms_per_step"] / results["nn_lstm"]["ms_per_step"]
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
        "sgemm_peak_gflops": peak / 1e9,
        "numpy_sgemm_peak_gflops": numpy_sgemm_peak(args.gemm, args.repeats) / 1e9 if device.type == "cpu" else None,
        "flops_per_token": flops_token,
        "train_step": results,
        "generation": generation,
        "ratios": ratios,
        "targets": {k: {"target": t, "direction": d, "met": (ratios[k] >= t if d == ">=" else ratios[k] <= t)}
                    for k, (t, d) in TARGETS.items() if k in ratios},
    }


def table(report: dict) -> str:
    rows = ["| ratio | measured | target | met |", "|---|---|---|---|"]
    for key, value in report["ratios"].items():
        target = report["targets"][key]
        rows.append(f"| {key} | {value:.2f} | {target['direction']} {target['target']} | {'yes' if target['met'] else 'no'} |")
    return "\n".join(rows)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m tangshi.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--embed", type=int, default=300)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--vocab", type=int, default=2004)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=50, help="sequence length T")
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--gemm", type=int, default=2048, help="size of the square matmul that measures peak")
    p.add_argument("--poems", type=int, nargs="+", default=[1, 64, 1024])
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default="metrics/bench.json")
    args = p.parse_args(argv)
    report = run(args)
    write_json(Path(args.out), report)
    print(table(report))


if __name__ == "__main__":
    main()
