"""The torch poets: embedding, dropout, an LSTM core (nn.LSTM or the hand-written cell), output layer."""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..data.batching import PAD
from ..errors import TangshiError
from ..params import choose
from .cell import HandLSTM, layer_weights

IMPLS = ("numpy", "autograd", "torch")
EMBEDDINGS = ("finetune", "frozen", "none")
OUTPUTS = ("full", "adaptive")
ADAPTIVE_DIV = 4.0  # the tail cluster's vectors are hidden/4 wide


@dataclass
class WritingState:
    """Per-layer hidden and cell states (B, H) while writing, and the optional input-projection table."""

    h: list[torch.Tensor]
    c: list[torch.Tensor]
    table: torch.Tensor | None


class PoetLSTM(nn.Module):
    """ids (T, B) -> scores (T, B, V), or the NLL of given targets (T, B); dropout before the LSTM input
    and between layers.

    The output layer is `full` (a softmax over the whole dictionary) or `adaptive`
    (Grave et al. 2017, nn.AdaptiveLogSoftmaxWithLoss: the `shortlist` commonest
    tokens and one cluster token in the head, the rarer ones behind it in a tail
    of hidden/4-wide vectors), which keeps a 7k-character dictionary about as fast
    as a 2k one. With `tie` (full only), the output layer shares the embedding's
    matrix (Press & Wolf 2017): the last hidden state is projected to the
    embedding's width first, when the two differ. `start_tokens` more input rows
    follow the dictionary's: tokens that start a poem of one form (forms.py), read
    but never predicted, so the output stays vocab_size wide.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden: int,
        layers: int,
        dropout: float,
        impl: str = "torch",
        embedding: str = "finetune",
        pretrained: np.ndarray | None = None,
        forget_bias: float = 0.0,
        tie: bool = False,
        start_tokens: int = 0,
        output: str = "full",
        shortlist: int = 2000,
    ):
        super().__init__()
        choose("embedding mode", embedding, EMBEDDINGS)
        choose("torch implementation", impl, IMPLS[1:])
        choose("output layer", output, OUTPUTS)
        if output == "adaptive" and tie:
            raise TangshiError("the adaptive output layer has weights of its own: set tie: false with output: adaptive")
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size + start_tokens, embed_dim)
        if embedding != "none":
            if pretrained is None or pretrained.shape != (vocab_size, embed_dim):
                raise TangshiError("a pretrained embedding of shape (vocab, dim) is needed: run `dvc repro embed`")
            self.embed.weight.data[:vocab_size].copy_(torch.from_numpy(pretrained))
        elif tie:  # random rows of unit norm, not N(0, 1) per entry: the first logits stay of order one
            self.embed.weight.data.normal_(0.0, embed_dim**-0.5)
        self.embed.weight.requires_grad_(embedding != "frozen")
        self.drop = nn.Dropout(dropout)
        between = dropout if layers > 1 else 0.0
        if impl == "torch":
            self.lstm = nn.LSTM(embed_dim, hidden, layers, dropout=between)
        else:
            self.lstm = HandLSTM(embed_dim, hidden, layers, dropout=between)
        self.proj = nn.Linear(hidden, embed_dim, bias=False) if tie and hidden != embed_dim else None
        self.tie = tie
        self.adaptive = None
        if output == "adaptive":  # a small dictionary (tests) keeps a tail too: the shortlist is at most half of it
            cutoff = max(1, min(shortlist, vocab_size // 2))
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab_size, [cutoff], div_value=ADAPTIVE_DIV)
        elif tie:  # the output layer is the embedding's first vocab_size rows and a bias of its own
            self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        else:
            self.out = nn.Linear(hidden, vocab_size)
        self.reset_weights(forget_bias)

    @torch.no_grad()
    def reset_weights(self, forget_bias: float) -> None:
        """Weights ~ N(0, 2/fan_in), biases 0 but forget_bias on the forget gate's input bias."""
        H = self.lstm.hidden_size
        for name, p in self.lstm.named_parameters():
            if name.startswith("weight"):
                p.normal_(0.0, math.sqrt(2.0 / p.shape[1]))
            else:
                p.zero_()
                if name.startswith("bias_ih"):
                    p[H : 2 * H] = forget_bias
        if self.proj is not None:
            self.proj.weight.normal_(0.0, math.sqrt(2.0 / H))
        if self.adaptive is not None:
            self.adaptive.reset_parameters()
        elif self.tie:
            self.out_bias.zero_()
        else:
            self.out.weight.normal_(0.0, math.sqrt(2.0 / H))
            self.out.bias.zero_()

    def head(self, y: torch.Tensor) -> torch.Tensor:
        """Scores over the dictionary from the last layer's hidden states (..., H) -> (..., V): logits of the full
        output layer, log-probabilities of the adaptive one (softmax takes both alike)."""
        if self.adaptive is not None:
            return self.adaptive.log_prob(y.reshape(-1, y.shape[-1])).view(*y.shape[:-1], self.vocab_size)
        if self.tie:
            return nn.functional.linear(y if self.proj is None else self.proj(y), self.embed.weight[: self.vocab_size], self.out_bias)
        return self.out(y)

    def nll(self, y: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood (T, B) of the targets (T, B); 0 where a target is PAD. The adaptive
        layer scores the targets alone, never the whole dictionary."""
        if self.adaptive is None:
            scores = self.head(y)
            return nn.functional.cross_entropy(scores.permute(1, 2, 0), targets.T, ignore_index=PAD, reduction="none").T
        flat, keep = targets.reshape(-1), (targets != PAD).reshape(-1)
        out = y.new_zeros(flat.shape)
        out[keep] = -self.adaptive(y.reshape(-1, y.shape[-1])[keep], flat[keep]).output
        return out.view(targets.shape)

    def forward(self, ids: torch.Tensor, state=None, targets: torch.Tensor | None = None):
        """(scores (T, B, V), state), or with `targets` (T, B) their (nll (T, B), state)."""
        x = self.drop(self.embed(ids))
        y, state = self.lstm(x, state)
        return (self.head(y) if targets is None else self.nll(y, targets)), state

    @torch.no_grad()
    def writing_state(self, batch: int, steps: int) -> WritingState:
        """Zero state for writing `batch` poems of up to `steps` tokens, one token at a time (eval mode).

        The first layer's input projection costs E·4H per token either way; when the
        batch will feed more tokens than the dictionary holds, project every
        dictionary entry once into a (V, 4H) table and look rows up instead.
        """
        zeros = [self.embed.weight.new_zeros(batch, self.lstm.hidden_size) for _ in range(self.lstm.num_layers)]
        table = None
        if batch * steps > self.embed.num_embeddings:
            w_ih, _, b_ih, b_hh = layer_weights(self.lstm, 0)
            table = torch.addmm(b_ih + b_hh, self.embed.weight, w_ih.t())
        return WritingState(zeros, list(zeros), table)

    @torch.no_grad()
    def write_step(self, ids: torch.Tensor, state: WritingState) -> tuple[torch.Tensor, WritingState]:
        """ids (B,) -> logits (B, V): one step of forward() in eval mode, without nn.LSTM's per-call set-up."""
        hs, cs = [], []
        for layer, (h, c) in enumerate(zip(state.h, state.c)):
            w_ih, w_hh, b_ih, b_hh = layer_weights(self.lstm, layer)
            if layer == 0 and state.table is not None:
                gates = state.table[ids]
            else:
                x = self.embed(ids) if layer == 0 else x
                gates = torch.addmm(b_ih + b_hh, x, w_ih.t())
            gates = gates.addmm_(h, w_hh.t())
            i, f, g, o = gates.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c)
            hs.append(x)
            cs.append(c)
        return self.head(x), WritingState(hs, cs, state.table)
