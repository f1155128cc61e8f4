"""The maths is right: NumPy BPTT vs autograd, the hand cell vs nn.LSTM, NumPy optimizers vs torch.optim."""

import numpy as np
import pytest
import torch
from torch import nn

from tangshi.models.cell import HandLSTM
from tangshi.models.lstm import PoetLSTM
from tangshi.models.numpy_lstm import NumpyLSTM, init_params
from tangshi.models.twin import torch_twin
from tangshi.training.optim import OPTIMIZERS, NumpyOptimizer, clip_grad_norm, torch_optimizer

E, H, V, B, T = 7, 6, 11, 4, 9


@pytest.fixture
def network():
    rng = np.random.default_rng(0)
    params = init_params(E, H, V, forget_bias=1.0, rng=rng, dtype=np.float64)
    params["b"] += rng.standard_normal(4 * H) * 0.1
    params["b_out"] += rng.standard_normal(V) * 0.1
    embedding = rng.standard_normal((V, E))
    ids = rng.integers(0, V, size=(B, T + 1))
    return params, embedding, ids


def rel_err(a, b) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def test_numpy_bptt_equals_torch_autograd(network):
    params, embedding, ids = network
    loss, grads = NumpyLSTM(params, embedding).loss_and_grads(ids)
    lstm, out, loss_fn = torch_twin(params, embedding)
    torch_loss = loss_fn(ids)
    torch_loss.backward()
    expected = {
        "W_x": lstm.weight_ih_l0.grad.numpy().T,
        "W_h": lstm.weight_hh_l0.grad.numpy().T,
        "b": lstm.bias_ih_l0.grad.numpy(),
        "W_out": out.weight.grad.numpy().T,
        "b_out": out.bias.grad.numpy(),
    }
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for name, grad in expected.items():
        assert rel_err(grads[name], grad) <= 1e-6, name


def test_numpy_bptt_matches_central_differences(network):
    params, embedding, ids = network
    model = NumpyLSTM(params, embedding)
    _, grads = model.loss_and_grads(ids)
    rng = np.random.default_rng(1)
    eps = 1e-6
    for name, p in params.items():
        for flat in rng.choice(p.size, size=min(10, p.size), replace=False):
            idx = np.unravel_index(flat, p.shape)
            old = p[idx]
            p[idx] = old + eps
            up = float(model.forward(ids)["nll"].mean())
            p[idx] = old - eps
            down = float(model.forward(ids)["nll"].mean())
            p[idx] = old
            numeric = (up - down) / (2 * eps)
            assert abs(numeric - grads[name][idx]) <= 1e-7 + 1e-5 * abs(numeric), (name, idx)


def test_numpy_generation_step_equals_forward(network):
    params, embedding, ids = network
    model = NumpyLSTM(params, embedding)
    nll = model.token_nll(ids)
    h = c = np.zeros((B, H))
    for t in range(T):
        logits, h, c = model.step(ids[:, t], h, c)
        log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        assert np.allclose(-log_p[np.arange(B), ids[:, t + 1]], nll[:, t])


@pytest.mark.parametrize("impl", ["torch", "autograd"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("batch", [2, 3])  # 3 x 9 steps > 11 entries: the input-projection table is used
def test_torch_writing_step_equals_forward(impl, layers, batch):
    torch.manual_seed(layers)
    model = PoetLSTM(V, E, H, layers, 0.3, impl, "none", forget_bias=1.0).eval()
    ids = torch.randint(0, V, (T, batch))
    with torch.no_grad():
        ref, _ = model(ids)
    state = model.writing_state(batch, T)
    assert (state.table is not None) == (batch * T > V)
    for t in range(T):
        logits, state = model.write_step(ids[t], state)
        assert torch.allclose(logits, ref[t], atol=1e-5), t


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_hand_cell_equals_nn_lstm(layers):
    torch.manual_seed(layers)
    ref = nn.LSTM(E, H, layers)
    hand = HandLSTM(E, H, layers)
    hand.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, E, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    h0 = (torch.randn(layers, B, H), torch.randn(layers, B, H))
    y_ref, (h_ref, c_ref) = ref(x, h0)
    y, (h, c) = hand(x2, h0)
    for a, b in ((y, y_ref), (h, h_ref), (c, c_ref)):
        assert torch.allclose(a, b, atol=1e-5)
    weights = torch.randn_like(y_ref)
    (y_ref * weights).sum().backward()
    (y * weights).sum().backward()
    assert torch.allclose(x.grad, x2.grad, atol=1e-5)
    for name, p in ref.named_parameters():
        assert torch.allclose(p.grad, dict(hand.named_parameters())[name].grad, atol=1e-5), name


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_numpy_optimizer_takes_torch_steps(name):
    rng = np.random.default_rng(3)
    start = {"w": rng.standard_normal((5, 4)), "b": rng.standard_normal(4)}
    mine = {k: v.copy() for k, v in start.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    opt_np = NumpyOptimizer(name, lr=0.01)
    opt_torch = torch_optimizer(name, list(theirs.values()), lr=0.01)
    for _ in range(5):
        grads = {k: rng.standard_normal(v.shape) for k, v in start.items()}
        opt_np.step(mine, grads)
        for k, p in theirs.items():
            p.grad = torch.tensor(grads[k])
        opt_torch.step()
    for k in start:
        assert np.allclose(mine[k], theirs[k].detach().numpy(), atol=1e-6, rtol=0), k
        assert not np.allclose(mine[k], start[k])


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(4)
    grads = {"a": rng.standard_normal((3, 3)) * 10, "b": rng.standard_normal(3) * 10}
    tensors = [torch.tensor(g.copy(), requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g.copy())
    ref = torch.nn.utils.clip_grad_norm_(tensors, 1.0)
    norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(ref.item())
    for t, g in zip(tensors, grads.values()):
        assert np.allclose(t.grad.numpy(), g)
