"""The torch poets: embedding, dropout, an LSTM core (nn.LSTM or the hand-written cell), output layer."""

import math

import numpy as np
import torch
from torch import nn

from .cell import HandLSTM
from .errors import TangshiError
from .params import choose

IMPLS = ("numpy", "autograd", "torch")
EMBEDDINGS = ("finetune", "frozen", "none")


class PoetLSTM(nn.Module):
    """ids (T, B) -> logits (T, B, V); dropout before the LSTM input and between layers."""

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
    ):
        super().__init__()
        choose("embedding mode", embedding, EMBEDDINGS)
        choose("torch implementation", impl, IMPLS[1:])
        self.embed = nn.Embedding(vocab_size, embed_dim)
        if embedding != "none":
            if pretrained is None or pretrained.shape != (vocab_size, embed_dim):
                raise TangshiError("a pretrained embedding of shape (vocab, dim) is needed: run `dvc repro embed`")
            self.embed.weight.data.copy_(torch.from_numpy(pretrained))
        self.embed.weight.requires_grad_(embedding != "frozen")
        self.drop = nn.Dropout(dropout)
        between = dropout if layers > 1 else 0.0
        if impl == "torch":
            self.lstm = nn.LSTM(embed_dim, hidden, layers, dropout=between)
        else:
            self.lstm = HandLSTM(embed_dim, hidden, layers, dropout=between)
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
        self.out.weight.normal_(0.0, math.sqrt(2.0 / H))
        self.out.bias.zero_()

    def forward(self, ids: torch.Tensor, state=None):
        x = self.drop(self.embed(ids))
        y, state = self.lstm(x, state)
        return self.out(y), state
