"""The poet's output layer on a CPU: a softmax over the whole dictionary against the adaptive softmax (about 2.5 minutes).

    python scripts/output_layer.py [--vocab 7279 --shortlist 2000]    # from the repo root; any time, no data

One training step of the poet's shape (embedding 300, 1×512 nn.LSTM, batch 64 of
58 tokens, RMSprop), Zipf-distributed targets, the median of 22 steps after 3 of
warm-up, in one process so the rows compare: the old poet's softmax tied to the
embedding over the shared 2,004 tokens, the same over the poet's dictionary, and
the adaptive softmax (nn.AdaptiveLogSoftmaxWithLoss, div_value 4) over it.
"""

import argparse
import statistics
import time

import torch
from torch import nn

E, H, B, T = 300, 512, 64, 58


def tokens_per_s(vocab: int, output: str, shortlist: int, steps: int = 25) -> float:
    torch.manual_seed(0)
    emb, lstm = nn.Embedding(vocab + 4, E), nn.LSTM(E, H)
    if output == "tied":
        proj, bias = nn.Linear(H, E, bias=False), nn.Parameter(torch.zeros(vocab))
        head = [proj.weight, bias]

        def loss_fn(y, t):
            return nn.functional.cross_entropy(nn.functional.linear(proj(y), emb.weight[:vocab], bias).reshape(-1, vocab), t.reshape(-1))
    else:
        adaptive = nn.AdaptiveLogSoftmaxWithLoss(H, vocab, [shortlist], div_value=4.0)
        head = list(adaptive.parameters())

        def loss_fn(y, t):
            return adaptive(y.reshape(-1, H), t.reshape(-1)).loss
    opt = torch.optim.RMSprop(list(emb.parameters()) + list(lstm.parameters()) + head, lr=1e-3)
    p = 1 / torch.arange(1, vocab + 1).float()
    times = []
    for _ in range(steps):
        x = torch.multinomial(p / p.sum(), B * (T + 1), replacement=True).view(T + 1, B)
        start = time.perf_counter()
        y, _ = lstm(emb(x[:-1]))
        loss = loss_fn(y, x[1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return B * T / statistics.median(times[3:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vocab", type=int, default=7279)
    p.add_argument("--shortlist", type=int, default=2000)
    args = p.parse_args()
    print("| output layer | dictionary | tokens/s |\n|---|---|---|")
    for name, vocab, output in (("softmax tied to the embedding (the old poet's)", 2004, "tied"),
                                ("softmax tied to the embedding", args.vocab, "tied"),
                                (f"adaptive softmax, head {args.shortlist} + a hidden/4 tail", args.vocab, "adaptive")):
        print(f"| {name} | {vocab:,} | {tokens_per_s(vocab, output, args.shortlist):,.0f} |", flush=True)


if __name__ == "__main__":
    main()
