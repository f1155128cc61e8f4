"""One training loop for every variant: a curriculum of epochs, early stopping, checkpoints, resume, DVCLive.

models/<V>/ holds config.json, best.pt (the best epoch's weights) and last.pt
(everything needed to resume: weights, optimizer, history). A rerun with the
same params and inputs resumes after the last finished epoch, in either phase
of the curriculum; anything else starts fresh. Each epoch's shuffling and
dropout are seeded from (seed, epoch), and the learning rate is a function of
the step, so a resumed run equals an uninterrupted one.
"""

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from dvclive import Live
from tqdm import tqdm

from ..atomic import write_json
from ..data.batching import Pieces, batch_count, epoch_batches, fixed_pieces, gather, gather_conditions
from ..data.conditions import Conditions
from ..data.vocab import Vocab
from ..errors import TangshiError
from ..forms import FORMS, WULV
from ..models.checkpoint import CONDITIONS, load_torch, save_torch
from ..models.poet import ModelConfig, all_token_nll, resolve_device
from .distributed import barrier, init as init_distributed, mean_over_ranks
from .perplexity import pooled_perplexities
from .trainer import TrainConfig, build_trainer, embedding_mode

# Params that do not change the trajectory of a run, so a checkpoint may resume across them.
RESUMABLE_ACROSS = ("epochs", "patience", "device", "compile")
# A checkpoint made by other training code is not resumed either.
TRAINING_CODE = (
    "training/loop.py", "training/trainer.py", "models/poet.py", "models/lstm.py", "models/plan_head.py", "models/cell.py",
    "models/numpy_lstm.py", "training/optim.py",
    "training/perplexity.py", "training/distributed.py", "data/batching.py", "data/conditions.py", "forms.py",
)
PACKAGE = Path(__file__).resolve().parents[1]


def file_digest(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def fingerprint(variant: str, model: ModelConfig, train: TrainConfig, seed: int, vocab: Vocab, inputs: list[Path]) -> str:
    train_cfg = {k: v for k, v in asdict(train).items() if k not in RESUMABLE_ACROSS}
    model_cfg = {k: v for k, v in asdict(model).items() if k not in RESUMABLE_ACROSS}
    payload = {
        "variant": variant, "model": model_cfg, "train": train_cfg, "seed": seed,
        "vocab": vocab.digest(), "inputs": [file_digest(p) for p in inputs],
        "code": [file_digest(PACKAGE / name) for name in TRAINING_CODE],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 100_003 + epoch


TRAIN_SCORED = 500  # poems of each training set whose perplexity is logged every epoch


def scored_sample(ids: np.ndarray) -> np.ndarray:
    """At most TRAIN_SCORED poems of a training set, a fixed draw, for the train perplexity curve (evaluate scores
    the whole split at the best weights). Scoring all 1,732 poems of the normal split took a quarter of each of
    the report models' epochs; 500 read the single LSTM's train PP within 1.1% of all of them (64.1 against 64.9)."""
    if len(ids) <= TRAIN_SCORED:
        return ids
    return ids[np.sort(np.random.default_rng(0).choice(len(ids), TRAIN_SCORED, replace=False))]


@dataclass
class Curriculum:
    """Which data, how much of it and at what learning rate each epoch trains.

    Epochs 1 … ⌈verse_epochs⌉ read the verse corpus (the last may be a partial
    epoch); the epochs after read the variant's Tang train split, at most
    model.epochs (else train.epochs) of them, and only they may stop early. Each Tang epoch after
    the first trains at tang_decay times the learning rate of the one before:
    at a constant rate the poet overshoots after its second Tang epoch.
    """

    model: ModelConfig
    train: TrainConfig
    tang: Pieces
    verse: Pieces | None

    @property
    def verse_count(self) -> int:
        return math.ceil(self.model.verse_epochs)

    @property
    def tang_epochs(self) -> int:
        """The Tang epochs at most: the model's own cap, else train.epochs."""
        return self.train.epochs if self.model.epochs is None else self.model.epochs

    @property
    def max_epochs(self) -> int:
        return self.verse_count + self.tang_epochs

    def phase(self, epoch: int) -> str:
        return "verse" if epoch <= self.verse_count else "tang"

    def data(self, epoch: int) -> Pieces:
        return self.verse if self.phase(epoch) == "verse" else self.tang

    def fraction(self, epoch: int) -> float:
        return min(1.0, self.model.verse_epochs - (epoch - 1)) if self.phase(epoch) == "verse" else 1.0

    def batches(self, epoch: int, seed: int) -> list[np.ndarray]:
        return epoch_batches(self.data(epoch), self.train.batch_size, epoch_seed(seed, epoch), self.fraction(epoch))

    def steps_before(self, epoch: int) -> int:
        """Optimizer steps taken before `epoch` starts (batch counts do not depend on the shuffle)."""
        return sum(batch_count(self.data(e), self.train.batch_size, self.fraction(e)) for e in range(1, epoch))

    @cached_property
    def verse_steps(self) -> int:
        return self.steps_before(self.verse_count + 1)

    @cached_property
    def tang_steps(self) -> int:
        return batch_count(self.tang, self.train.batch_size)

    def lr(self, step: int) -> float:
        lr = self.train.lr
        if self.model.schedule == "cosine":
            total, low = self.verse_steps, lr / 10
            if step < total:
                return low + (lr - low) * 0.5 * (1 + math.cos(math.pi * step / total))
            lr = low
        if step < self.verse_steps or self.model.tang_decay == 1:
            return lr
        return lr * self.model.tang_decay ** ((step - self.verse_steps) // self.tang_steps)


def train_variant(
    variant: str, model_cfg: ModelConfig, train_cfg: TrainConfig, seed: int, vocab: Vocab,
    train_ids: np.ndarray | list[np.ndarray], dev_ids: np.ndarray | list[np.ndarray], embedding: np.ndarray,
    inputs: list[Path], model_dir: Path, live_dir: Path, progress: bool = True, verse: Pieces | None = None,
    conditions: Conditions | None = None, train_conditions: list[np.ndarray] | None = None,
) -> dict:
    """Train one variant to completion (or early stop); return its summary.

    `train_ids`/`dev_ids` are the variant's Tang split, one (N, T) array, or one per form
    (a poet of every form: dev perplexity pools their tokens); `verse`, the verse corpus
    its first epochs read when model_cfg.verse_epochs > 0. A poet of model_cfg.condition is
    told `conditions`' poets and title words: `train_conditions` holds each train
    set's rows, the verse pieces carry theirs; its dev perplexity, here, is told
    nothing (the evaluate stage scores it told each way). Under torchrun every
    process runs this with the same arguments; each trains on its share of every
    global batch and rank 0 alone writes files.
    """
    ranks, device = init_distributed(resolve_device(train_cfg.device))
    if ranks.world != train_cfg.processes:
        raise TangshiError(
            f"train.processes is {train_cfg.processes} but {ranks.world} processes run: launch with stages/train.py, "
            "which starts torchrun itself"
        )
    if model_cfg.verse_epochs and verse is None:
        raise TangshiError(f"train@{variant} reads the verse corpus first (verse_epochs > 0): run `dvc repro verse`")
    train_sets = [train_ids] if isinstance(train_ids, np.ndarray) else list(train_ids)
    dev_sets = [dev_ids] if isinstance(dev_ids, np.ndarray) else list(dev_ids)
    if (model_cfg.condition is None) != (train_conditions is None) or (verse is not None and model_cfg.condition is not None
                                                                       and verse.conditions is None):
        raise TangshiError(f"train@{variant}: a poet told titles and poets needs every training poem's (and only it): "
                           "run `dvc repro titles` and check models.<V>.condition")
    tang = fixed_pieces(*train_sets, conditions=train_conditions)
    plan = Curriculum(model_cfg, train_cfg, tang, verse if model_cfg.verse_epochs else None)
    scored = [scored_sample(s) for s in train_sets]
    patience = train_cfg.patience if model_cfg.patience is None else model_cfg.patience
    trainer = build_trainer(model_cfg, train_cfg, embedding, seed, device, ranks.distributed, conditions)
    poet = trainer.poet
    stamp = fingerprint(variant, model_cfg, train_cfg, seed, vocab, inputs)
    config = {
        "variant": variant, **asdict(model_cfg), "embed_dim": int(embedding.shape[1]), "vocab_size": len(vocab),
        "vocab_digest": vocab.digest(), "embedding": embedding_mode(model_cfg, train_cfg), "forget_bias": train_cfg.forget_bias,
        "forms": [f.name for f in FORMS] if model_cfg.corpus == "forms" else [WULV.name],
        "fingerprint": stamp, "parameters": poet.parameter_count(),
        "poets": None if conditions is None else len(conditions.poets),
    }
    last_path, best_path = model_dir / "last.pt", model_dir / "best.pt"
    history: list[dict] = []
    best = {"epoch": 0, "dev_ppl": math.inf}
    if last_path.exists():
        last = load_torch(last_path)
        if last.get("fingerprint") == stamp and reaches(last["history"], plan.tang_epochs, patience, plan.verse_count):
            trainer.load_state_dict(last["state"])
            history, best = last["history"], last["best"]
            say(ranks, f"train@{variant}: resuming after epoch {len(history)} (checkpoint matches params and inputs)")
        else:
            say(ranks, f"train@{variant}: checkpoint in {model_dir} is for other params or inputs; starting fresh")
    barrier(ranks)  # every process has read the checkpoint before rank 0 may overwrite it
    if ranks.main:
        model_dir.mkdir(parents=True, exist_ok=True)
        write_json(model_dir / "config.json", {**config, "status": "training"})
        if conditions is not None:
            conditions.save(model_dir / CONDITIONS)
        else:
            (model_dir / CONDITIONS).unlink(missing_ok=True)

    start_wall = time.perf_counter()
    live = Live(str(live_dir), dvcyaml=False, save_dvc_exp=False) if ranks.main else None
    for row in history:  # replay what the checkpoint holds, so the logs never run ahead of it
        log_epoch(live, row)
    epoch = len(history)
    step = plan.steps_before(epoch + 1)
    while epoch < plan.max_epochs and not stop_early(history, best, patience, plan.verse_count):
        epoch += 1
        data = plan.data(epoch)
        # The same global batches for any number of processes: rank r takes every world-th row of each.
        batches = [b for b in plan.batches(epoch, seed) if len(b) >= ranks.world]
        torch.manual_seed(epoch_seed(seed, epoch) + ranks.rank)  # dropout masks
        began = time.perf_counter()
        losses, targets = [], 0
        bar = tqdm(batches, desc=f"{variant} epoch {epoch} ({plan.phase(epoch)})", leave=False,
                   disable=not (progress and ranks.main), mininterval=1.0)
        for rows in bar:
            trainer.set_lr(plan.lr(step))
            mine = rows[ranks.rank :: ranks.world]
            loss = trainer.train_step(gather(data, mine), gather_conditions(data, mine))
            check_finite(variant, "loss", loss, epoch, train_cfg.lr)
            losses.append(loss)
            targets += int((data.lengths[rows] - 1).sum())
            step += 1
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        seconds = time.perf_counter() - began
        train_ppl, train_ppl_chars = pooled_perplexities([all_token_nll(poet, s) for s in scored], scored, vocab)
        dev_ppl, dev_ppl_chars = pooled_perplexities([all_token_nll(poet, s) for s in dev_sets], dev_sets, vocab)
        check_finite(variant, "dev perplexity", dev_ppl, epoch, train_cfg.lr)
        row = {
            "epoch": epoch, "phase": plan.phase(epoch), "fraction": plan.fraction(epoch), "lr": plan.lr(step - 1),
            "train_loss": mean_over_ranks(ranks, float(np.mean(losses))), "train_ppl": train_ppl,
            "train_ppl_chars": train_ppl_chars, "dev_ppl": dev_ppl, "dev_ppl_chars": dev_ppl_chars,
            "tokens_per_s": targets / seconds, "epoch_s": seconds,
        }
        history.append(row)
        improved = dev_ppl < best["dev_ppl"]
        if improved:
            best = {"epoch": epoch, "dev_ppl": dev_ppl}
        if ranks.main:
            if improved:
                save_torch(poet.weights(), best_path)
            save_torch({"fingerprint": stamp, "state": trainer.state_dict(), "history": history, "best": best}, last_path)
            log_epoch(live, row)
        say(
            ranks,
            f"train@{variant} epoch {epoch} ({row['phase']}): loss {row['train_loss']:.3f}  train ppl {train_ppl:.1f}  "
            f"dev ppl {dev_ppl:.1f} (chars {dev_ppl_chars:.1f})  {row['tokens_per_s']:.0f} tok/s  {seconds:.0f} s",
        )
    summary = {
        "epochs": len(history), "verse_epochs_run": plan.verse_count, "best_epoch": best["epoch"], "best_dev_ppl": best["dev_ppl"],
        "stopped_early": len(history) < plan.max_epochs,
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


def reaches(history: list[dict], epochs: int, patience: int, verse_count: int = 0) -> bool:
    """Whether a fresh run with these limits would train at least as long as `history` did.

    Only then may it resume from that history: every epoch is seeded from (seed,
    epoch), so the resumed run equals the fresh one.
    """
    if len(history) > verse_count + epochs:
        return False
    best = {"epoch": 0, "dev_ppl": math.inf}
    for done, row in enumerate(history):
        if stop_early(history[:done], best, patience, verse_count):
            return False
        if row["dev_ppl"] < best["dev_ppl"]:
            best = {"epoch": row["epoch"], "dev_ppl": row["dev_ppl"]}
    return True


def stop_early(history: list[dict], best: dict, patience: int, verse_count: int = 0) -> bool:
    """True when dev perplexity has not improved for `patience` Tang epochs (0 = never stop); verse epochs all run."""
    if patience <= 0 or not history or history[-1]["epoch"] <= verse_count:
        return False
    return history[-1]["epoch"] - max(best["epoch"], verse_count) >= patience


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
    live.log_metric("lr", row.get("lr", 0.0))
    live.log_metric("phase", 1 if row.get("phase") == "verse" else 2)  # 1: verse corpus, 2: Tang 五律
    live.next_step()
