"""Perplexity: exp(mean NLL per predicted token); `*` is never predicted, `$` is.

Reported two ways: over all predicted tokens (48 + `$` per poem) and over the
40 characters alone (punctuation and `$` are nearly free to predict).
"""

import math

import numpy as np

from ..data.vocab import COMMA, EOS, STOP, Vocab


def char_mask(vocab: Vocab, targets: np.ndarray) -> np.ndarray:
    """True where the predicted token is one of the poem's characters."""
    not_chars = [vocab.index[t] for t in (COMMA, STOP, EOS)]
    return ~np.isin(targets, not_chars)


def perplexities(nll: np.ndarray, ids: np.ndarray, vocab: Vocab) -> tuple[float, float]:
    """(all tokens, characters only) perplexity of (N, T) NLLs for the (N, T+1) ids they predict."""
    mask = char_mask(vocab, ids[:, 1:])
    return exp_or_inf(nll.mean()), exp_or_inf(nll[mask].mean())


def pooled_perplexities(nlls: list[np.ndarray], sets: list[np.ndarray], vocab: Vocab) -> tuple[float, float]:
    """perplexities() over several sets of poems of different lengths (several forms) pooled token by token."""
    if len(sets) == 1:
        return perplexities(nlls[0], sets[0], vocab)
    nll = np.concatenate([n.reshape(-1) for n in nlls])
    mask = np.concatenate([char_mask(vocab, ids[:, 1:]).reshape(-1) for ids in sets])
    return exp_or_inf(nll.mean()), exp_or_inf(nll[mask].mean())


def exp_or_inf(mean_nll: float) -> float:
    mean_nll = float(mean_nll)
    return math.exp(mean_nll) if mean_nll < 700 else math.inf
