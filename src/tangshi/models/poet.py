"""A poet is a model plus what trains, scores and runs it, behind one interface for all five variants.

    poet.train_step(ids)  -> mean loss of one optimizer step on a (B, T+1) batch
    poet.token_nll(ids)   -> (B, T) negative log-likelihood of each predicted token
    poet.init_state(B, steps) / poet.step(x, state) -> logits (B, V) as a torch tensor, new state

`TorchPoet` serves the nn.LSTM and hand-written-cell variants; `NumpyPoet`
serves the NumPy LSTM with its hand-written optimizers.
"""

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..data.batching import PAD
from ..errors import TangshiError
from ..forms import FORMS, WULV, Form, form_token_id
from ..params import choose
from ..training.optim import OPTIMIZERS, NumpyOptimizer, clip_grad_norm, torch_optimizer
from .lstm import EMBEDDINGS, IMPLS, PoetLSTM
from .numpy_lstm import NumpyLSTM, init_params

EVAL_BATCH = 256


CORPORA = ("normal", "large", "forms")  # forms: the Tang 五绝, 七绝, 五律 (large) and 七律, each poem led by its form's token
MODEL_EMBEDDINGS = ("train",) + EMBEDDINGS  # train: as train.embedding says
SCHEDULES = ("constant", "cosine")


@dataclass
class ModelConfig:
    """A variant: the network, and the curriculum it learns by."""

    impl: str  # numpy | autograd | torch
    layers: int
    hidden: int
    dropout: float
    tie: bool = False  # share the embedding matrix with the output layer
    corpus: str = "normal"  # the Tang set it trains and stops early on
    verse_epochs: float = 0.0  # epochs over the verse corpus first (may end in a partial one)
    schedule: str = "constant"  # cosine: lr decays to lr/10 over the verse epochs, fine-tuning goes on at lr/10
    embedding: str = "train"  # how the embedding starts and learns: train.embedding's way, or finetune/frozen/none

    def __post_init__(self):
        choose("model implementation", self.impl, IMPLS)
        choose("model corpus", self.corpus, CORPORA)
        choose("model embedding", self.embedding, MODEL_EMBEDDINGS)
        choose("learning-rate schedule", self.schedule, SCHEDULES)
        if self.impl == "numpy" and (self.layers != 1 or self.tie or self.verse_epochs):
            raise TangshiError("the NumPy LSTM is the report's: one layer, untied, no verse epochs (layers: 1, tie: false, verse_epochs: 0)")
        if self.layers < 1 or self.hidden < 1 or not 0 <= self.dropout < 1 or self.verse_epochs < 0:
            raise TangshiError(f"bad model sizes {asdict(self)}: layers, hidden >= 1, 0 <= dropout < 1, verse_epochs >= 0")
        if not isinstance(self.tie, bool):
            raise TangshiError(f"tie must be true or false, not {self.tie!r}")
        if self.impl == "numpy" and self.corpus == "forms":
            raise TangshiError("the NumPy LSTM reads the 五律 sets alone: corpus normal or large")
        if self.schedule == "cosine" and not self.verse_epochs:
            raise TangshiError("schedule cosine decays over the verse epochs: give verse_epochs > 0 or use constant")


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


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise TangshiError(f"unknown train.device {name!r}: use auto, cpu, cuda or cuda:N")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TangshiError(f"train.device is {name} but this torch sees no CUDA GPU: use auto or cpu")
    return device


def use_tf32(device: torch.device) -> None:
    """On CUDA, run float32 matmuls and cuDNN's LSTM on TF32 tensor cores (10-bit mantissa, float32 range)."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


class TorchPoet:
    def __init__(self, model: PoetLSTM, train: TrainConfig, device: torch.device):
        use_tf32(device)
        self.model = model.to(device)
        self.compile = train.compile
        self.device = device
        self.train_cfg = train
        self.trained = self.model  # what train_step runs: the model, maybe compiled or wrapped by DDP
        self._optimizer = None

    def start_id(self, form: Form) -> int:
        """The input id that starts a poem of `form`: its form token for a poet of every form, else `*` (0)."""
        return start_id(self.model.vocab_size, form, self.model.embed.num_embeddings > self.model.vocab_size)

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        """Built on first use: a poet that only writes or scores never pays for it (2-3 s, the compiler stack)."""
        if self._optimizer is None:
            trainable = [p for p in self.model.parameters() if p.requires_grad]
            self._optimizer = torch_optimizer(self.train_cfg.optimizer, trainable, self.train_cfg.lr)
            self.trained = self._compiled(self.trained)
        return self._optimizer

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def distribute(self) -> None:
        """Average gradients across the processes of a torchrun launch."""
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.trained = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

    def _compiled(self, module: torch.nn.Module):
        # Only the training forward is compiled: scoring and writing see other shapes and run eagerly.
        return torch.compile(module) if self.compile else module

    def _ids(self, ids: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(ids, dtype=torch.long).to(self.device, non_blocking=True).T  # (T+1, B)

    def train_step(self, ids: np.ndarray) -> float:
        """One optimizer step on a (B, T+1) batch; PAD targets are ignored."""
        optimizer = self.optimizer
        self.trained.train()
        x = self._ids(ids)
        inputs = x[:-1].clamp(min=0) if (ids < 0).any() else x[:-1]  # PAD comes last: it feeds ignored targets only
        logits, _ = self.trained(inputs)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[1:].reshape(-1), ignore_index=PAD)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.train_cfg.clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.train_cfg.clip)
        optimizer.step()
        return loss.item()

    @torch.no_grad()
    def token_nll(self, ids: np.ndarray) -> np.ndarray:
        self.model.eval()
        x = self._ids(ids)
        logits, _ = self.model(x[:-1])
        nll = torch.nn.functional.cross_entropy(logits.permute(1, 2, 0), x[1:].T, reduction="none")
        return nll.double().cpu().numpy()

    def init_state(self, batch: int, steps: int = 1):
        self.model.eval()
        return self.model.writing_state(batch, steps)

    def step(self, x: torch.Tensor, state):
        return self.model.write_step(x.to(self.device), state)

    def weights(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def load_weights(self, weights: dict) -> None:
        self.model.load_state_dict(weights)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)  # a tied matrix counts once


class NumpyPoet:
    def __init__(self, lstm: NumpyLSTM, train: TrainConfig):
        self.lstm = lstm
        self.clip = train.clip
        self.optimizer = NumpyOptimizer(train.optimizer, train.lr)
        self.device = torch.device("cpu")

    def set_lr(self, lr: float) -> None:
        self.optimizer.lr = lr

    def start_id(self, form: Form) -> int:
        return start_id(len(self.lstm.embedding), form, False)  # the NumPy LSTM knows `*` alone

    def train_step(self, ids: np.ndarray) -> float:
        if (ids < 0).any():
            raise TangshiError("the NumPy LSTM trains on Tang 五律 alone, never on padded verse: set verse_epochs: 0")
        loss, grads = self.lstm.loss_and_grads(np.asarray(ids))
        if self.clip > 0:
            clip_grad_norm(grads, self.clip)
        self.optimizer.step(self.lstm.params, grads)
        return loss

    def token_nll(self, ids: np.ndarray) -> np.ndarray:
        return self.lstm.token_nll(np.asarray(ids)).astype(np.float64)

    def init_state(self, batch: int, steps: int = 1):
        zeros = np.zeros((batch, self.lstm.hidden), self.lstm.params["W_h"].dtype)
        return zeros, zeros

    def step(self, x: torch.Tensor, state):
        logits, h, c = self.lstm.step(x.cpu().numpy(), *state)
        return torch.from_numpy(logits), (h, c)

    def weights(self) -> dict:
        """The trained parameters and the fixed embedding they were trained with."""
        arrays = {**self.lstm.params, "embedding": self.lstm.embedding}
        return {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}

    def load_weights(self, weights: dict) -> None:
        for k in self.lstm.params:
            self.lstm.params[k][...] = weights[k].numpy()
        self.lstm.embedding[...] = weights["embedding"].numpy()

    def state_dict(self) -> dict:
        opt = self.optimizer.state_dict()
        return {
            "model": self.weights(),
            "optimizer": {"steps": opt["steps"], "state": {k: {n: torch.from_numpy(a) for n, a in v.items()} for k, v in opt["state"].items()}},
        }

    def load_state_dict(self, state: dict) -> None:
        self.load_weights(state["model"])
        opt = state["optimizer"]
        self.optimizer.load_state_dict({"steps": opt["steps"], "state": {k: {n: a.numpy() for n, a in v.items()} for k, v in opt["state"].items()}})

    def parameter_count(self) -> int:
        return sum(v.size for v in self.lstm.params.values())

    def distribute(self) -> None:
        raise TangshiError("the NumPy LSTM trains in one process: set train.processes to 1 for it")


def start_id(vocab_size: int, form: Form, form_tokens: bool) -> int:
    """`*` (id 0, the dictionary's first token) or, for a poet trained on every form, the form's own token."""
    return form_token_id(vocab_size, form) if form_tokens else 0


def embedding_mode(model: ModelConfig, train: TrainConfig) -> str:
    return train.embedding if model.embedding == "train" else model.embedding


def build_poet(model: ModelConfig, train: TrainConfig, embedding: np.ndarray, seed: int, device: torch.device | None = None):
    """A freshly initialised poet for a vocabulary of embedding.shape[0] tokens (and the form tokens of corpus forms)."""
    vocab_size, embed_dim = embedding.shape
    mode = embedding_mode(model, train)
    if model.impl == "numpy":
        rng = np.random.default_rng(seed)
        if mode == "none":  # fixed random vectors instead of pretrained ones
            embedding = rng.standard_normal(embedding.shape).astype(np.float32)
        params = init_params(embed_dim, model.hidden, vocab_size, train.forget_bias, rng)
        poet = NumpyPoet(NumpyLSTM(params, embedding), train)
        poet.forms = (WULV,)
        return poet
    torch.manual_seed(seed)
    net = PoetLSTM(
        vocab_size, embed_dim, model.hidden, model.layers, model.dropout, model.impl,
        mode, embedding, train.forget_bias, model.tie, len(FORMS) if model.corpus == "forms" else 0,
    )
    poet = TorchPoet(net, train, device or resolve_device(train.device))
    poet.forms = FORMS if model.corpus == "forms" else (WULV,)  # the forms it writes
    return poet


def all_token_nll(poet, ids: np.ndarray, batch: int = EVAL_BATCH) -> np.ndarray:
    """(N, T) negative log-likelihood of every predicted token of every poem."""
    return np.concatenate([poet.token_nll(ids[i : i + batch]) for i in range(0, len(ids), batch)])
