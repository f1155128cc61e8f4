"""Print the errors the gradient-check tests bound: python scripts/gradcheck.py (from the repo root; about 5 s)."""

import sys

import numpy as np
import torch

sys.path.insert(0, "src")
from tangshi.models.cell import HandLSTM  # noqa: E402
from tangshi.models.numpy_lstm import NumpyLSTM, init_params  # noqa: E402
from tangshi.models.twin import torch_twin  # noqa: E402

E, H, V, B, T = 7, 6, 11, 4, 9  # the shapes tests/test_maths.py checks at
rng = np.random.default_rng(0)
params = init_params(E, H, V, 1.0, rng, np.float64); emb = rng.standard_normal((V, E)); ids = rng.integers(0, V, (B, T + 1))
loss, grads = NumpyLSTM(params, emb).loss_and_grads(ids)
lstm, out, fn = torch_twin(params, emb); fn(ids).backward()
ref = {"W_x": lstm.weight_ih_l0.grad.numpy().T, "W_h": lstm.weight_hh_l0.grad.numpy().T, "b": lstm.bias_ih_l0.grad.numpy(), "W_out": out.weight.grad.numpy().T, "b_out": out.bias.grad.numpy()}
print("numpy vs autograd max rel err:", {k: f"{np.max(np.abs(grads[k]-r))/np.max(np.abs(r)):.1e}" for k, r in ref.items()})
for L in (1, 2, 3):
    torch.manual_seed(L); a = torch.nn.LSTM(E, H, L); b = HandLSTM(E, H, L); b.load_state_dict(a.state_dict())
    x = torch.randn(T, B, E); ya, _ = a(x); yb, _ = b(x); w = torch.randn_like(ya); (ya*w).sum().backward(); (yb*w).sum().backward()
    g = max(float((p.grad - dict(b.named_parameters())[n].grad).abs().max()) for n, p in a.named_parameters())
    print(f"hand cell vs nn.LSTM, {L} layers: max |dy| {float((ya - yb).abs().max().detach()):.1e}, max |dgrad| {g:.1e}")
