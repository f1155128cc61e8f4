"""The one interface every variant is run and scored through; nothing here trains (training/trainer.py does).

    poet.token_nll(ids)   -> (B, T) negative log-likelihood of each predicted token
    poet.log_probs(ids)   -> (B, T, V) log-probabilities of every dictionary token at each position (a torch tensor)
    poet.init_state(B, steps) / poet.step(x, state) -> logits (B, V) as a torch tensor, new state
    poet.conditions       -> the poets and title words it is told (data/conditions.py), or None

A conditioned poet's token_nll, log_probs and init_state take `condition`, the
(B, width) rows of what each poem is told; without it, each is told nothing.
    poet.start_id(form)   -> the input id a poem of that form starts with
    poet.weights() / poet.load_weights(w) -> the trained parameters as plain tensors

`TorchPoet` serves the nn.LSTM and hand-written-cell variants; `NumpyPoet`
serves the NumPy LSTM.
"""

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..data.conditions import ConditionConfig, Conditions
from ..errors import TangshiError
from ..forms import FORMS, WULV, Form, form_token_id
from ..params import choose
from .lstm import EMBEDDINGS, IMPLS, OUTPUTS, PoetLSTM
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
    tang_decay: float = 1.0  # each Tang epoch after the first trains at this times the lr of the one before
    embedding: str = "train"  # how the embedding starts and learns: train.embedding's way, or finetune/frozen/none
    dictionary: str = "shared"  # shared: the report's 2,000 characters; poet: the poet's own (data/vocab.py)
    output: str = "full"  # full softmax, or adaptive (nn.AdaptiveLogSoftmaxWithLoss)
    shortlist: int = 2000  # adaptive: tokens in the head; the rarer ones share a tail
    patience: int | None = None  # this model's early-stopping patience in Tang epochs (None: train.patience)
    epochs: int | None = None  # at most this many Tang epochs, in place of train.epochs (None: train.epochs)
    aligned: bool = False  # a couplet's second line also reads the first line's character at its place (lstm.py)
    condition: dict | None = None  # told each poem's poet and title words (data/conditions.py: ConditionConfig)

    def __post_init__(self):
        choose("model implementation", self.impl, IMPLS)
        choose("model dictionary", self.dictionary, ("shared", "poet"))
        choose("model output layer", self.output, OUTPUTS)
        if self.output == "adaptive" and self.tie:
            raise TangshiError("the adaptive output layer has weights of its own: set tie: false with output: adaptive")
        if self.impl == "numpy" and (self.output != "full" or self.dictionary != "shared"):
            raise TangshiError("the NumPy LSTM is the report's: output: full, dictionary: shared")
        if not isinstance(self.aligned, bool):
            raise TangshiError(f"aligned must be true or false, not {self.aligned!r}")
        if self.impl == "numpy" and self.aligned:
            raise TangshiError("the NumPy LSTM is the report's: it reads the plain input (aligned: false)")
        if self.condition is not None:
            if not isinstance(self.condition, dict):
                raise TangshiError(f"condition must be a mapping (min_poems, title_chars, title_words, blank, keywords) "
                                   f"or null, "
                                   f"not {self.condition!r}")
            if self.impl == "numpy":
                raise TangshiError("the NumPy LSTM is the report's: it is told nothing (condition: null)")
            try:
                ConditionConfig(**self.condition)
            except TypeError as err:
                raise TangshiError(f"bad condition {self.condition!r} ({err}): give min_poems, title_chars, title_words, blank, "
                                   "keywords")
        if self.epochs is not None and (not isinstance(self.epochs, int) or isinstance(self.epochs, bool) or self.epochs < 1):
            raise TangshiError(f"epochs (this model's Tang epochs at most) must be a whole number >= 1 or null, not {self.epochs!r}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 0):
            raise TangshiError(f"patience must be a whole number >= 0 or null, not {self.patience!r}")
        if self.shortlist < 1:
            raise TangshiError(f"shortlist must be at least 1, not {self.shortlist}")
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
        if isinstance(self.tang_decay, bool) or not isinstance(self.tang_decay, (int, float)) or not 0 < self.tang_decay <= 1:
            raise TangshiError(f"tang_decay multiplies the learning rate each Tang epoch: 0 < tang_decay <= 1 "
                               f"(1: constant), not {self.tang_decay!r}")
        if self.schedule == "cosine" and not self.verse_epochs:
            raise TangshiError("schedule cosine decays over the verse epochs: give verse_epochs > 0 or use constant")


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
    def __init__(self, model: PoetLSTM, device: torch.device, conditions: Conditions | None = None):
        use_tf32(device)
        self.model = model.to(device)
        self.device = device
        self.conditions = conditions

    def as_condition(self, condition: np.ndarray | None) -> torch.Tensor | None:
        """(B, width) rows of what each poem is told as the network reads them; None stays None (told nothing)."""
        if condition is None:
            return None
        if self.conditions is None:
            raise TangshiError("this model was trained without titles and poets: use the poet (models/poet)")
        return torch.as_tensor(np.asarray(condition), dtype=torch.long).to(self.device)

    def start_id(self, form: Form) -> int:
        """The input id that starts a poem of `form`: its form token for a poet of every form, else `*` (0)."""
        return start_id(self.model.vocab_size, form, self.model.embed.num_embeddings > self.model.vocab_size)

    def as_inputs(self, ids: np.ndarray) -> torch.Tensor:
        """(B, T+1) ids as the network reads them: a (T+1, B) tensor on its device."""
        return torch.as_tensor(ids, dtype=torch.long).to(self.device, non_blocking=True).T

    @torch.no_grad()
    def token_nll(self, ids: np.ndarray, condition: np.ndarray | None = None) -> np.ndarray:
        self.model.eval()
        x = self.as_inputs(ids)
        nll, _ = self.model(x[:-1], targets=x[1:], condition=self.as_condition(condition))
        return nll.T.double().cpu().numpy()

    @torch.no_grad()
    def log_probs(self, ids: np.ndarray, condition: np.ndarray | None = None) -> torch.Tensor:
        self.model.eval()
        scores, _ = self.model(self.as_inputs(ids)[:-1], condition=self.as_condition(condition))
        return torch.log_softmax(scores.float(), -1).transpose(0, 1)

    def init_state(self, batch: int, steps: int = 1, condition: np.ndarray | None = None):
        self.model.eval()
        return self.model.writing_state(batch, steps, self.as_condition(condition))

    @property
    def aligned(self) -> bool:
        """Whether it reads the aligned character of a couplet's first line (the decoder then passes it to step)."""
        return self.model.align is not None

    def step(self, x: torch.Tensor, state, aligned: torch.Tensor | None = None):
        return self.model.write_step(x.to(self.device), state, None if aligned is None else aligned.to(self.device))

    def weights(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def load_weights(self, weights: dict) -> None:
        self.model.load_state_dict(weights)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)  # a tied matrix counts once


class NumpyPoet:
    conditions = None  # the report's: told nothing

    def __init__(self, lstm: NumpyLSTM):
        self.lstm = lstm
        self.device = torch.device("cpu")

    def start_id(self, form: Form) -> int:
        return start_id(len(self.lstm.embedding), form, False)  # the NumPy LSTM knows `*` alone

    def token_nll(self, ids: np.ndarray) -> np.ndarray:
        return self.lstm.token_nll(np.asarray(ids)).astype(np.float64)

    def log_probs(self, ids: np.ndarray) -> torch.Tensor:
        state = self.init_state(len(ids))
        rows = []
        for t in range(ids.shape[1] - 1):
            logits, state = self.step(torch.as_tensor(ids[:, t]), state)
            rows.append(torch.log_softmax(logits.double(), -1))
        return torch.stack(rows, 1)

    def init_state(self, batch: int, steps: int = 1):
        zeros = np.zeros((batch, self.lstm.hidden), self.lstm.params["W_h"].dtype)
        return zeros, zeros

    aligned = False  # the report's plain input

    def step(self, x: torch.Tensor, state, aligned: torch.Tensor | None = None):
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

    def parameter_count(self) -> int:
        return sum(v.size for v in self.lstm.params.values())


def start_id(vocab_size: int, form: Form, form_tokens: bool) -> int:
    """`*` (id 0, the dictionary's first token) or, for a poet trained on every form, the form's own token."""
    return form_token_id(vocab_size, form) if form_tokens else 0


def build_poet(
    model: ModelConfig, embedding: np.ndarray, seed: int, mode: str = "finetune", forget_bias: float = 1.0,
    device: torch.device | None = None, conditions: Conditions | None = None,
):
    """A freshly initialised poet for a vocabulary of embedding.shape[0] tokens (and the form tokens of corpus forms).

    `mode` is how the embedding starts and learns (finetune, frozen, none: random); `device` defaults to the CPU;
    `conditions`, the poets and title words a model of model.condition is told (data/conditions.py).
    """
    if (model.condition is None) != (conditions is None):
        raise TangshiError("a poet told titles and poets is built with their table (data/conditions.py), "
                           "and only such a poet: check models.<V>.condition")
    choose("embedding mode", mode, EMBEDDINGS)
    vocab_size, embed_dim = embedding.shape
    if model.impl == "numpy":
        rng = np.random.default_rng(seed)
        if mode == "none":  # fixed random vectors instead of pretrained ones
            embedding = rng.standard_normal(embedding.shape).astype(np.float32)
        params = init_params(embed_dim, model.hidden, vocab_size, forget_bias, rng)
        poet = NumpyPoet(NumpyLSTM(params, embedding))
        poet.forms = (WULV,)
        return poet
    torch.manual_seed(seed)
    net = PoetLSTM(
        vocab_size, embed_dim, model.hidden, model.layers, model.dropout, model.impl,
        mode, embedding, forget_bias, model.tie, len(FORMS) if model.corpus == "forms" else 0, model.output, model.shortlist,
        model.aligned, None if conditions is None else len(conditions.poets),
        0 if conditions is None else len(conditions.words),
        0.0 if model.condition is None else ConditionConfig(**model.condition).blank,
        0 if conditions is None else conditions.keyword_slots,
    )
    poet = TorchPoet(net, device or torch.device("cpu"), conditions)
    poet.forms = FORMS if model.corpus == "forms" else (WULV,)  # the forms it writes
    return poet


def all_token_nll(poet, ids: np.ndarray, batch: int = EVAL_BATCH, condition: np.ndarray | None = None) -> np.ndarray:
    """(N, T) negative log-likelihood of every predicted token of every poem (each told its row of `condition`)."""
    if condition is None:
        return np.concatenate([poet.token_nll(ids[i : i + batch]) for i in range(0, len(ids), batch)])
    return np.concatenate([poet.token_nll(ids[i : i + batch], condition[i : i + batch]) for i in range(0, len(ids), batch)])
