"""Optimizers by name: torch.optim for the torch models, hand-written NumPy twins for the NumPy LSTM.

The NumPy versions follow torch.optim's update rules and defaults exactly
(no weight decay), so that the same name and `lr` mean the same steps.
"""

import numpy as np
import torch

from ..params import choose

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
MOMENTUM = 0.9
RMS_ALPHA, RMS_EPS = 0.99, 1e-8
ADAGRAD_EPS = 1e-10
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8


def torch_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    choose("optimizer", name, OPTIMIZERS)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=ADAGRAD_EPS)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=RMS_ALPHA, eps=RMS_EPS)
    return torch.optim.Adam(params, lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)


class NumpyOptimizer:
    """Updates a dict of NumPy arrays in place from a dict of gradients of the same names."""

    def __init__(self, name: str, lr: float):
        self.name = choose("optimizer", name, OPTIMIZERS)
        self.lr = lr
        self.steps = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.steps += 1
        for key, p in params.items():
            g = grads[key]
            s = self.state.setdefault(key, {})
            if self.name == "sgd":
                p -= self.lr * g
            elif self.name == "momentum":
                buf = s["momentum"] = g.copy() if "momentum" not in s else s["momentum"] * MOMENTUM + g
                p -= self.lr * buf
            elif self.name == "adagrad":
                acc = s.setdefault("sum", np.zeros_like(p))
                acc += g * g
                p -= self.lr * g / (np.sqrt(acc) + ADAGRAD_EPS)
            elif self.name == "rmsprop":
                sq = s.setdefault("square_avg", np.zeros_like(p))
                sq *= RMS_ALPHA
                sq += (1 - RMS_ALPHA) * g * g
                p -= self.lr * g / (np.sqrt(sq) + RMS_EPS)
            else:  # adam
                b1, b2 = ADAM_BETAS
                m = s.setdefault("exp_avg", np.zeros_like(p))
                v = s.setdefault("exp_avg_sq", np.zeros_like(p))
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                m_hat = m / (1 - b1**self.steps)
                v_hat = v / (1 - b2**self.steps)
                p -= self.lr * m_hat / (np.sqrt(v_hat) + ADAM_EPS)

    def state_dict(self) -> dict:
        return {"steps": self.steps, "state": self.state}

    def load_state_dict(self, data: dict) -> None:
        self.steps = int(data["steps"])
        self.state = {k: {n: np.asarray(a) for n, a in v.items()} for k, v in data["state"].items()}


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most max_norm (as torch does)."""
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads.values():
            g *= scale
    return norm
