"""What takes a training step on a poet: the training params, the optimizer, and one step of each kind.

    trainer = build_trainer(model_cfg, train_cfg, embedding, seed, device)
    trainer.train_step(ids)  -> mean loss of one optimizer step on a (B, T+1) batch
    trainer.poet             -> the poet it trains (models/poet.py), to score and write with

`TorchTrainer` steps the nn.LSTM and hand-written-cell variants with a
torch.optim optimizer (the network maybe compiled, or wrapped for data
parallelism); `NumpyTrainer` steps the NumPy LSTM with its hand-derived
gradients and hand-written optimizers. Both save and resume their state as
{"model": weights, "optimizer": state}.
"""

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..data.batching import PAD
from ..data.conditions import Conditions
from ..errors import TangshiError
from ..models.lstm import EMBEDDINGS
from ..models.poet import ModelConfig, NumpyPoet, TorchPoet, build_poet
from ..params import choose
from .optim import OPTIMIZERS, NumpyOptimizer, clip_grad_norm, torch_optimizer


@dataclass
class TrainConfig:
    optimizer: str = "rmsprop"
    lr: float = 0.002
    batch_size: int = 64
    epochs: int = 30
    patience: int = 3
    clip: float = 5.0
    embedding: str = "finetune"
    forget_bias: float = 1.0
    device: str = "auto"
    processes: int = 1  # >1: data-parallel under torchrun (see distributed.py)
    compile: bool = False  # torch variants: train through torch.compile (pays off on a GPU, not on a CPU)

    def __post_init__(self):
        choose("optimizer", self.optimizer, OPTIMIZERS)
        choose("embedding mode", self.embedding, EMBEDDINGS)
        if self.batch_size < 1 or self.epochs < 1 or self.patience < 0 or self.lr <= 0 or self.processes < 1:
            raise TangshiError(
                f"bad training params {asdict(self)}: batch_size, epochs, processes >= 1, patience >= 0, lr > 0"
            )
        if not isinstance(self.compile, bool):
            raise TangshiError(f"train.compile must be true or false, not {self.compile!r}")
        if self.batch_size % self.processes:
            raise TangshiError(
                f"train.batch_size {self.batch_size} must divide among train.processes {self.processes}: "
                "the global batch is split evenly"
            )


def embedding_mode(model: ModelConfig, train: TrainConfig) -> str:
    """How a variant's embedding starts and learns: its own `embedding`, or train.embedding's where it says `train`."""
    return train.embedding if model.embedding == "train" else model.embedding


class TorchTrainer:
    def __init__(self, poet: TorchPoet, train: TrainConfig, distributed: bool = False):
        self.poet, self.cfg = poet, train
        model = poet.model
        self.trained = model  # what a step runs: the network, maybe wrapped by DDP, maybe compiled
        if distributed:  # average gradients across the processes of a torchrun launch
            ids = [poet.device.index] if poet.device.type == "cuda" else None
            # a plan head learns from Tang batches alone (the verse is told no plan): in a verse step it has no gradient
            self.trained = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=ids, find_unused_parameters=getattr(model, "plan", None) is not None)
        if train.compile:  # only the training forward: scoring and writing see other shapes and run eagerly
            self.trained = torch.compile(self.trained)
        self.optimizer = torch_optimizer(train.optimizer, [p for p in model.parameters() if p.requires_grad], train.lr)

    @property
    def device(self) -> torch.device:
        return self.poet.device

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def train_step(self, ids: np.ndarray, condition: np.ndarray | None = None) -> float:
        """One optimizer step on a (B, T+1) batch, each poem told its row of `condition`; PAD targets are ignored."""
        self.trained.train()
        x = self.poet.as_inputs(ids)
        inputs = x[:-1].clamp(min=0) if (ids < 0).any() else x[:-1]  # PAD comes last: it feeds ignored targets only
        targets = x[1:]
        told = self.poet.as_condition(condition)
        nll, _ = self.trained(inputs, targets=targets, condition=told)  # through forward(): DDP and compile see it all
        loss = nll.sum() / (targets != PAD).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.poet.model.parameters(), self.cfg.clip)
        self.optimizer.step()
        return loss.item()

    def state_dict(self) -> dict:
        return {"model": self.poet.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.poet.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])


class NumpyTrainer:
    def __init__(self, poet: NumpyPoet, train: TrainConfig, distributed: bool = False):
        if distributed:
            raise TangshiError("the NumPy LSTM trains in one process: set train.processes to 1 for it")
        self.poet, self.cfg = poet, train
        self.optimizer = NumpyOptimizer(train.optimizer, train.lr)

    @property
    def device(self) -> torch.device:
        return self.poet.device

    def set_lr(self, lr: float) -> None:
        self.optimizer.lr = lr

    def train_step(self, ids: np.ndarray, condition: np.ndarray | None = None) -> float:
        if condition is not None:
            raise TangshiError("the NumPy LSTM is the report's: it is told nothing (condition: null)")
        if (ids < 0).any():
            raise TangshiError("the NumPy LSTM trains on Tang 五律 alone, never on padded verse: set verse_epochs: 0")
        lstm = self.poet.lstm
        loss, grads = lstm.loss_and_grads(np.asarray(ids))
        if self.cfg.clip > 0:
            clip_grad_norm(grads, self.cfg.clip)
        self.optimizer.step(lstm.params, grads)
        return loss

    def state_dict(self) -> dict:
        opt = self.optimizer.state_dict()
        state = {k: {n: torch.from_numpy(a) for n, a in v.items()} for k, v in opt["state"].items()}
        return {"model": self.poet.weights(), "optimizer": {"steps": opt["steps"], "state": state}}

    def load_state_dict(self, state: dict) -> None:
        self.poet.load_weights(state["model"])
        opt = state["optimizer"]
        self.optimizer.load_state_dict({"steps": opt["steps"], "state": {k: {n: a.numpy() for n, a in v.items()} for k, v in opt["state"].items()}})


def build_trainer(
    model: ModelConfig, train: TrainConfig, embedding: np.ndarray, seed: int, device: torch.device, distributed: bool = False,
    conditions: Conditions | None = None,
) -> TorchTrainer | NumpyTrainer:
    """A freshly initialised poet of `model` (told `conditions`' poets and titles, if any) and what trains it by `train`."""
    poet = build_poet(model, embedding, seed, embedding_mode(model, train), train.forget_bias, device, conditions)
    return (NumpyTrainer if model.impl == "numpy" else TorchTrainer)(poet, train, distributed)
