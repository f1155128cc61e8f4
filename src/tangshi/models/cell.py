"""A hand-written LSTM of torch operations; autograd derives its backward pass.

Parameters carry nn.LSTM's names and shapes (weight_ih_l0, weight_hh_l0,
bias_ih_l0, bias_hh_l0, gates stacked [i, f, g, o]), so a state dict copies
across either way. Inputs are time-major (T, B, E), as nn.LSTM's default.
The input projection of each layer is one matmul over the whole sequence,
outside the time loop, and it is split into steps with one unbind: indexing
xp[t] in the loop would make autograd build a full-size zero gradient for
every step (1.5x slower at H=512).
"""

import math

import torch
from torch import nn


def layer_weights(lstm: nn.Module, layer: int) -> tuple[torch.Tensor, ...]:
    """weight_ih, weight_hh, bias_ih, bias_hh of one layer of an nn.LSTM or a HandLSTM."""
    return tuple(getattr(lstm, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


class HandLSTM(nn.Module):
    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers, self.dropout = input_size, hidden_size, num_layers, dropout
        for layer in range(num_layers):
            fan_in = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(4 * hidden_size, fan_in)))
            self.register_parameter(f"weight_hh_l{layer}", nn.Parameter(torch.empty(4 * hidden_size, hidden_size)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(4 * hidden_size)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(4 * hidden_size)))
        bound = 1 / math.sqrt(hidden_size)  # nn.LSTM's default init; PoetLSTM re-initialises
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        """x (T, B, E) -> output (T, B, H), (h_n, c_n) each (layers, B, H), as nn.LSTM."""
        T, B, _ = x.shape
        H = self.hidden_size
        if state is None:
            zeros = x.new_zeros(self.num_layers, B, H)
            state = (zeros, zeros)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = layer_weights(self, layer)
            if layer > 0 and self.dropout > 0 and self.training:
                x = nn.functional.dropout(x, self.dropout, training=True)
            xp = torch.addmm(b_ih + b_hh, x.reshape(T * B, -1), w_ih.t()).view(T, B, 4 * H)
            w_hh_t = w_hh.t()
            h, c = state[0][layer], state[1][layer]
            outputs = []
            for xp_t in xp.unbind(0):
                gates = torch.addmm(xp_t, h, w_hh_t)
                i, f, g, o = gates.chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outputs.append(h)
            x = torch.stack(outputs)
            h_n.append(h)
            c_n.append(c)
        return x, (torch.stack(h_n), torch.stack(c_n))
