"""The NumPy LSTM's twin in torch: the same network and weights, for checking hand-derived gradients."""

import numpy as np
import torch
from torch import nn


def torch_twin(params: dict[str, np.ndarray], embedding: np.ndarray):
    """The same network as NumpyLSTM in torch float64 (frozen embedding, nn.LSTM, Linear), with `params`'
    weights: returns the LSTM, the output layer and a loss function of an id array (batch, time + 1)."""
    E, H = params["W_x"].shape[0], params["W_h"].shape[0]
    V = params["W_out"].shape[1]
    lstm = nn.LSTM(E, H).double()
    out = nn.Linear(H, V).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(params["W_x"].T))
        lstm.weight_hh_l0.copy_(torch.from_numpy(params["W_h"].T))
        lstm.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
        lstm.bias_hh_l0.zero_()
        out.weight.copy_(torch.from_numpy(params["W_out"].T))
        out.bias.copy_(torch.from_numpy(params["b_out"]))
    emb = torch.from_numpy(embedding)

    def loss_fn(ids: np.ndarray) -> torch.Tensor:
        ids_t = torch.from_numpy(ids).T.long()
        y, _ = lstm(emb[ids_t[:-1]])
        logits = out(y)
        return nn.functional.cross_entropy(logits.reshape(-1, V), ids_t[1:].reshape(-1))

    return lstm, out, loss_fn
