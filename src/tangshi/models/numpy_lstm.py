"""An LSTM language model in NumPy alone, with the backward pass through time derived by hand.

Time-major and batched over poems. Gates are stacked as [i, f, g, o] (torch's
order, so weights copy across for the gradient checks):

    z_t = x_t W_x + h_{t-1} W_h + b
    i, f, o = σ(z_i), σ(z_f), σ(z_o);   g = tanh(z_g)      (g is the candidate ĉ)
    c_t = f ⊙ c_{t-1} + i ⊙ g;          h_t = o ⊙ tanh(c_t)
    p_t = softmax(h_t W_out + b_out);   loss = mean −log p_t[target]

The embedding is fixed (as in the report). The input projection x W_x is one
GEMM over the whole sequence, hoisted out of the time loop, and so are the
weight gradients W_x, W_h, W_out: only h_{t-1} W_h and its transpose stay in
the loop.
"""

import numpy as np

PARAM_NAMES = ("W_x", "W_h", "b", "W_out", "b_out")


def sigmoid(x: np.ndarray) -> np.ndarray:
    # tanh form: stable for large |x|, no overflow warnings
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def init_params(embed_dim: int, hidden: int, vocab_size: int, forget_bias: float, rng: np.random.Generator, dtype=np.float32) -> dict[str, np.ndarray]:
    """Random weights scaled by sqrt(2 / fan_in), never zero; forget_bias on the forget gate."""
    H = hidden
    b = np.zeros(4 * H)
    b[H : 2 * H] = forget_bias
    params = {
        "W_x": rng.standard_normal((embed_dim, 4 * H)) * np.sqrt(2.0 / embed_dim),
        "W_h": rng.standard_normal((H, 4 * H)) * np.sqrt(2.0 / H),
        "b": b,
        "W_out": rng.standard_normal((H, vocab_size)) * np.sqrt(2.0 / H),
        "b_out": np.zeros(vocab_size),
    }
    return {k: v.astype(dtype) for k, v in params.items()}


class NumpyLSTM:
    """Forward, loss and hand-derived backward of a one-layer LSTM language model."""

    def __init__(self, params: dict[str, np.ndarray], embedding: np.ndarray):
        self.params = params
        self.embedding = embedding.astype(params["W_x"].dtype)

    @property
    def hidden(self) -> int:
        return self.params["W_h"].shape[0]

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One time step for generation: token ids x (B,) -> logits (B, V), new h, c."""
        p, H = self.params, self.hidden
        z = self.embedding[x] @ p["W_x"] + h @ p["W_h"] + p["b"]
        i, f, o = sigmoid(z[:, :H]), sigmoid(z[:, H : 2 * H]), sigmoid(z[:, 3 * H :])
        c = f * c + i * np.tanh(z[:, 2 * H : 3 * H])
        h = o * np.tanh(c)
        return h @ p["W_out"] + p["b_out"], h, c

    def forward(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Run over (B, T+1) ids, predicting ids[:, 1:] from ids[:, :-1]; returns the caches."""
        p, H = self.params, self.hidden
        inputs, targets = ids[:, :-1].T, ids[:, 1:].T  # (T, B), time-major
        T, B = inputs.shape
        dtype = p["W_x"].dtype
        x = self.embedding[inputs]  # (T, B, E)
        z = (x.reshape(T * B, -1) @ p["W_x"] + p["b"]).reshape(T, B, 4 * H)
        hs = np.zeros((T + 1, B, H), dtype)  # hs[0] = h_0 = 0
        cs = np.zeros((T + 1, B, H), dtype)
        for t in range(T):
            zt = z[t]
            zt += hs[t] @ p["W_h"]
            gates = zt  # activated in place: [i, f, g, o]
            gates[:, : 2 * H] = sigmoid(gates[:, : 2 * H])
            gates[:, 2 * H : 3 * H] = np.tanh(gates[:, 2 * H : 3 * H])
            gates[:, 3 * H :] = sigmoid(gates[:, 3 * H :])
            cs[t + 1] = gates[:, H : 2 * H] * cs[t] + gates[:, :H] * gates[:, 2 * H : 3 * H]
            hs[t + 1] = gates[:, 3 * H :] * np.tanh(cs[t + 1])
        logits = hs[1:].reshape(T * B, H) @ p["W_out"] + p["b_out"]
        logits -= logits.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        log_probs = logits - log_z  # (T*B, V)
        flat_targets = targets.reshape(-1)
        nll = -log_probs[np.arange(T * B), flat_targets]
        return {"x": x, "gates": z, "hs": hs, "cs": cs, "log_probs": log_probs, "targets": flat_targets, "nll": nll.reshape(T, B)}

    def token_nll(self, ids: np.ndarray) -> np.ndarray:
        """Negative log-likelihood of each predicted token, (B, T)."""
        return self.forward(ids)["nll"].T

    def loss_and_grads(self, ids: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy over all predicted tokens and its gradient for every parameter."""
        cache = self.forward(ids)
        p, H = self.params, self.hidden
        x, gates, hs, cs = cache["x"], cache["gates"], cache["hs"], cache["cs"]
        T, B = gates.shape[:2]
        n = T * B
        # softmax cross-entropy: d loss / d logits = (softmax - onehot) / n
        dlogits = np.exp(cache["log_probs"])
        dlogits[np.arange(n), cache["targets"]] -= 1.0
        dlogits /= n
        grads = {
            "W_out": hs[1:].reshape(n, H).T @ dlogits,
            "b_out": dlogits.sum(axis=0),
        }
        dhs = (dlogits @ p["W_out"].T).reshape(T, B, H)
        dz = np.empty_like(gates)
        dh_next = np.zeros((B, H), gates.dtype)
        dc_next = np.zeros((B, H), gates.dtype)
        for t in reversed(range(T)):
            i, f, g, o = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H : 3 * H], gates[t, :, 3 * H :]
            tanh_c = np.tanh(cs[t + 1])
            dh = dhs[t] + dh_next
            dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c)
            dz[t, :, :H] = dc * g * i * (1.0 - i)  # d/dz_i
            dz[t, :, H : 2 * H] = dc * cs[t] * f * (1.0 - f)  # d/dz_f
            dz[t, :, 2 * H : 3 * H] = dc * i * (1.0 - g * g)  # d/dz_g
            dz[t, :, 3 * H :] = dh * tanh_c * o * (1.0 - o)  # d/dz_o
            dc_next = dc * f
            dh_next = dz[t] @ p["W_h"].T
        dz_flat = dz.reshape(n, 4 * H)
        grads["W_x"] = x.reshape(n, -1).T @ dz_flat
        grads["W_h"] = hs[:-1].reshape(n, H).T @ dz_flat
        grads["b"] = dz_flat.sum(axis=0)
        loss = float(cache["nll"].mean())
        return loss, grads
