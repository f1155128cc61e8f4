"""One training loop for every variant: epochs, early stopping, checkpoints, resume, DVCLive.

models/<V>/ holds config.json, best.pt (the best epoch's weights) and last.pt
(everything needed to resume: weights, optimizer, history). A rerun with the
same params and inputs resumes after the last finished epoch; anything else
starts fresh. Each epoch's shuffling and dropout are seeded from (seed,
epoch), so a resumed run equals an uninterrupted one.
"""

import hashlib
import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from dvclive import Live
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
from tqdm import tqdm

from .atomic import write_json
from .checkpoint import load_torch, save_torch
from .distributed import barrier, init as init_distributed, mean_over_ranks
from .errors import TangshiError
from .perplexity import perplexities
from .poet import ModelConfig, TrainConfig, all_token_nll, build_poet, resolve_device
from .vocab import Vocab

# Params that do not change the trajectory of a run, so a checkpoint may resume across them.
RESUMABLE_ACROSS = ("epochs", "patience", "device", "compile")
# A checkpoint made by other training code is not resumed either.
TRAINING_CODE = (
    "train.py", "poet.py", "models.py", "cell.py", "numpy_lstm.py", "optim.py", "perplexity.py", "distributed.py"
)


def file_digest(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def fingerprint(variant: str, model: ModelConfig, train: TrainConfig, seed: int, vocab: Vocab, inputs: list[Path]) -> str:
    train_cfg = {k: v for k, v in asdict(train).items() if k not in RESUMABLE_ACROSS}
    payload = {
        "variant": variant, "model": asdict(model), "train": train_cfg, "seed": seed,
        "vocab": vocab.digest(), "inputs": [file_digest(p) for p in inputs],
        "code": [file_digest(Path(__file__).parent / name) for name in TRAINING_CODE],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 100_003 + epoch


def train_variant(
    variant: str, model_cfg: ModelConfig, train_cfg: TrainConfig, seed: int, vocab: Vocab,
    train_ids: np.ndarray, dev_ids: np.ndarray, embedding: np.ndarray, inputs: list[Path],
    model_dir: Path, live_dir: Path, progress: bool = True,
) -> dict:
    """Train one variant to completion (or early stop); return its summary.

    Under torchrun every process runs this with the same arguments; each trains
    on its share of every global batch and rank 0 alone writes files.
    """
    ranks, device = init_distributed(resolve_device(train_cfg.device))
    if ranks.world != train_cfg.processes:
        raise TangshiError(
            f"train.processes is {train_cfg.processes} but {ranks.world} processes run: launch with stages/train.py, "
            "which starts torchrun itself"
        )
    poet = build_poet(model_cfg, train_cfg, embedding, seed, device)
    if ranks.distributed:
        poet.distribute()
    stamp = fingerprint(variant, model_cfg, train_cfg, seed, vocab, inputs)
    config = {
        "variant": variant, **asdict(model_cfg), "embed_dim": int(embedding.shape[1]), "vocab_size": len(vocab),
        "vocab_digest": vocab.digest(), "embedding": train_cfg.embedding, "forget_bias": train_cfg.forget_bias,
        "fingerprint": stamp, "parameters": poet.parameter_count(),
    }
    last_path, best_path = model_dir / "last.pt", model_dir / "best.pt"
    history: list[dict] = []
    best = {"epoch": 0, "dev_ppl": math.inf}
    if last_path.exists():
        last = load_torch(last_path)
        if last.get("fingerprint") == stamp and reaches(last["history"], train_cfg.epochs, train_cfg.patience):
            poet.load_state_dict(last["state"])
            history, best = last["history"], last["best"]
            say(ranks, f"train@{variant}: resuming after epoch {len(history)} (checkpoint matches params and inputs)")
        else:
            say(ranks, f"train@{variant}: checkpoint in {model_dir} is for other params or inputs; starting fresh")
    barrier(ranks)  # every process has read the checkpoint before rank 0 may overwrite it
    if ranks.main:
        model_dir.mkdir(parents=True, exist_ok=True)
        write_json(model_dir / "config.json", {**config, "status": "training"})

    dataset = TensorDataset(torch.from_numpy(train_ids))
    tokens_per_epoch = train_ids.shape[0] * (train_ids.shape[1] - 1)
    start_wall = time.perf_counter()
    live = Live(str(live_dir), dvcyaml=False, save_dvc_exp=False) if ranks.main else None
    for row in history:  # replay what the checkpoint holds, so the logs never run ahead of it
        log_epoch(live, row)
    epoch = len(history)
    while epoch < train_cfg.epochs and not stop_early(history, best, train_cfg.patience):
        epoch += 1
        # The same global batches for any number of processes: rank r takes every world-th poem of each.
        sampler = DistributedSampler(dataset, ranks.world, ranks.rank, shuffle=True, seed=epoch_seed(seed, epoch))
        loader = DataLoader(dataset, batch_size=train_cfg.batch_size // ranks.world, sampler=sampler)
        torch.manual_seed(epoch_seed(seed, epoch) + ranks.rank)  # dropout masks
        began = time.perf_counter()
        losses = []
        bar = tqdm(loader, desc=f"{variant} epoch {epoch}", leave=False, disable=not (progress and ranks.main), mininterval=1.0)
        for (batch,) in bar:
            loss = poet.train_step(batch.numpy())
            check_finite(variant, "loss", loss, epoch, train_cfg.lr)
            losses.append(loss)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        seconds = time.perf_counter() - began
        train_ppl, train_ppl_chars = perplexities(all_token_nll(poet, train_ids), train_ids, vocab)
        dev_ppl, dev_ppl_chars = perplexities(all_token_nll(poet, dev_ids), dev_ids, vocab)
        check_finite(variant, "dev perplexity", dev_ppl, epoch, train_cfg.lr)
        row = {
            "epoch": epoch, "train_loss": mean_over_ranks(ranks, float(np.mean(losses))), "train_ppl": train_ppl,
            "train_ppl_chars": train_ppl_chars, "dev_ppl": dev_ppl, "dev_ppl_chars": dev_ppl_chars,
            "tokens_per_s": tokens_per_epoch / seconds, "epoch_s": seconds,
        }
        history.append(row)
        improved = dev_ppl < best["dev_ppl"]
        if improved:
            best = {"epoch": epoch, "dev_ppl": dev_ppl}
        if ranks.main:
            if improved:
                save_torch(poet.weights(), best_path)
            save_torch({"fingerprint": stamp, "state": poet.state_dict(), "history": history, "best": best}, last_path)
            log_epoch(live, row)
        say(
            ranks,
            f"train@{variant} epoch {epoch}: loss {row['train_loss']:.3f}  train ppl {train_ppl:.1f}  "
            f"dev ppl {dev_ppl:.1f} (chars {dev_ppl_chars:.1f})  {row['tokens_per_s']:.0f} tok/s",
        )
    summary = {
        "epochs": len(history), "best_epoch": best["epoch"], "best_dev_ppl": best["dev_ppl"],
        "stopped_early": len(history) < train_cfg.epochs,
        "tokens_per_s": float(np.median([r["tokens_per_s"] for r in history])),
        "train_s": float(sum(r["epoch_s"] for r in history)),
        "parameters": config["parameters"], "device": str(device), "processes": ranks.world,
    }
    if ranks.main:
        live.summary.update(summary)
        live.end()
        write_json(model_dir / "config.json", {**config, "status": "done", **summary})
    barrier(ranks)
    summary["wall_s"] = time.perf_counter() - start_wall
    return summary


def say(ranks, message: str) -> None:
    if ranks.main:
        print(message, flush=True)


def check_finite(variant: str, what: str, value: float, epoch: int, lr: float) -> None:
    if not math.isfinite(value):
        raise TangshiError(
            f"train@{variant}: {what} became {value} in epoch {epoch}: lower train.lr (now {lr}) or set train.clip"
        )


def reaches(history: list[dict], epochs: int, patience: int) -> bool:
    """Whether a fresh run with these limits would train at least as long as `history` did.

    Only then may it resume from that history: every epoch is seeded from (seed,
    epoch), so the resumed run equals the fresh one.
    """
    if len(history) > epochs:
        return False
    best = {"epoch": 0, "dev_ppl": math.inf}
    for done, row in enumerate(history):
        if stop_early(history[:done], best, patience):
            return False
        if row["dev_ppl"] < best["dev_ppl"]:
            best = {"epoch": row["epoch"], "dev_ppl": row["dev_ppl"]}
    return True


def stop_early(history: list[dict], best: dict, patience: int) -> bool:
    """True when dev perplexity has not improved for `patience` epochs (0 = never stop)."""
    return patience > 0 and bool(history) and history[-1]["epoch"] - best["epoch"] >= patience


def log_epoch(live: Live | None, row: dict) -> None:
    if live is None:  # not rank 0
        return
    live.step = row["epoch"]
    live.log_metric("train/loss", row["train_loss"])
    live.log_metric("train/ppl", row["train_ppl"])
    live.log_metric("train/ppl_chars", row["train_ppl_chars"])
    live.log_metric("dev/ppl", row["dev_ppl"])
    live.log_metric("dev/ppl_chars", row["dev_ppl_chars"])
    live.log_metric("tokens_per_s", row["tokens_per_s"])
    live.next_step()
