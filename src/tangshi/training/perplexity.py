"""Perplexity: exp(mean NLL per predicted token); `*` is never predicted, `$` is.

Reported two ways: over all predicted tokens (48 + `$` per poem) and over the
40 characters alone (punctuation and `$` are nearly free to predict). A poet of
its own dictionary is also scored folded onto the shared one (below).
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..data.vocab import COMMA, EOS, OOV_TOKEN, SPECIALS, STOP, Vocab
from ..errors import TangshiError


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


LINE_ROLES = ("first", "second", "middle_second")  # couplets' first lines, second lines, a 律诗's lines 4 and 6


def line_role_masks(form, tokens: int) -> dict[str, np.ndarray]:
    """(tokens,) masks over the predicted positions of a poem of `form` (position k: the poem's token k):
    the characters of its couplets' first lines, of their second lines, and of a 律诗's middle couplets'
    second lines (where 对仗 lives; none in a 绝句)."""
    k = np.arange(tokens)
    line, col = np.divmod(k, form.chars + 1)
    char = (col < form.chars) & (line < form.lines)
    masks = {"first": char & (line % 2 == 0), "second": char & (line % 2 == 1)}
    masks["middle_second"] = char & np.isin(line, (3, 5)) if form.lines == 8 else np.zeros(tokens, dtype=bool)
    return masks


def line_role_perplexities(nlls: list[np.ndarray], forms: list) -> dict[str, float]:
    """Character perplexity of each line role (LINE_ROLES) over (N, T) NLLs of poems of the given forms, pooled;
    a role no poem has is left out."""
    out = {}
    for role in LINE_ROLES:
        picked = [nll[:, line_role_masks(form, nll.shape[1])[role]].reshape(-1) for nll, form in zip(nlls, forms)]
        picked = np.concatenate(picked)
        if picked.size:
            out[role] = exp_or_inf(picked.mean())
    return out


def exp_or_inf(mean_nll: float) -> float:
    mean_nll = float(mean_nll)
    return math.exp(mean_nll) if mean_nll < 700 else math.inf


# Folding: a poet of its own dictionary scored on the shared one, so that its perplexity compares with the five's.
#
# The shared dictionary sends every character to one of its tokens (itself, or for a rare character a fixed
# random common one); the poet's `<oov>` stands for the characters of its training text below its min_count.
# The folded probability of a shared token s is the poet's probability of every character the shared rule
# sends to s, plus P(<oov>) times the share of the `<oov>` characters (by their count in the poet's training
# text) that the rule sends to s. It sums to one over the shared tokens, and it is the probability the poet
# gives to the text as the shared dictionary writes it.

@dataclass
class Fold:
    index: np.ndarray  # (V_own,) the shared id of each of the poet's tokens; -1 for `<oov>` and never-predicted ids
    oov: int  # the poet's `<oov>` id, or -1
    oov_weights: np.ndarray  # (V_shared,) how `<oov>`'s probability spreads over the shared tokens (sums to 1)


def build_fold(own: Vocab, shared: Vocab, oov_chars: dict[str, int]) -> Fold:
    """The map from `own` onto `shared`; `oov_chars` are the characters `<oov>` stands for, with their counts."""
    index = np.array([shared.index[t] if t in SPECIALS else -1 if t == OOV_TOKEN else shared.char_id(t) for t in own.tokens])
    weights = np.zeros(len(shared))
    for char, count in oov_chars.items():
        if char not in own:
            weights[shared.char_id(char)] += count
    if weights.sum() == 0:  # nothing was ever <oov>: spread it evenly over the shared characters
        weights[shared.char_ids] = 1.0
    return Fold(index, own.index.get(OOV_TOKEN, -1), weights / weights.sum())


def fold_sources(fold: Fold, shared_size: int) -> np.ndarray:
    """(V_shared, K) the poet's ids the fold sends to each shared token, ascending, padded with -1."""
    sources = [[] for _ in range(shared_size)]
    for own_id, shared_id in enumerate(fold.index):
        if shared_id >= 0:
            sources[shared_id].append(own_id)
    out = np.full((shared_size, max(1, max(map(len, sources)))), -1)
    for shared_id, ids in enumerate(sources):
        out[shared_id, : len(ids)] = ids
    return out


def folded_token_nll(poet, own_ids: np.ndarray, shared_ids: np.ndarray, fold: Fold, batch: int = 64,
                     condition: np.ndarray | None = None) -> np.ndarray:
    """(N, T) NLL of each shared token of (N, T+1) `shared_ids` under the poet reading `own_ids` (the same poems
    in its own dictionary), each poem told its row of `condition` (None: nothing).

    Only each target's own sources are summed (a few of the poet's ids), never the whole folded table: the same
    float64 sums in the same order as folding every entry (ascending own id, then `<oov>`'s share)."""
    if own_ids.shape != shared_ids.shape:
        raise TangshiError(f"the poems in the two dictionaries differ in shape ({own_ids.shape} vs {shared_ids.shape})")
    sources = torch.as_tensor(fold_sources(fold, len(fold.oov_weights)))
    weights = torch.as_tensor(fold.oov_weights)
    out = []
    for start in range(0, len(own_ids), batch):
        told = {} if condition is None else {"condition": condition[start : start + batch]}
        log_probs = poet.log_probs(own_ids[start : start + batch], **told).cpu()  # (B, T, V_own)
        targets = torch.as_tensor(shared_ids[start : start + batch, 1:], dtype=torch.long)
        own = sources[targets]  # (B, T, K)
        probs = log_probs.gather(2, own.clamp(min=0)).double().exp().masked_fill(own < 0, 0.0)
        folded = probs[..., 0]
        for k in range(1, probs.shape[-1]):
            folded = folded + probs[..., k]
        if fold.oov >= 0:
            folded = folded + log_probs[..., fold.oov].double().exp() * weights[targets]
        out.append(-folded.log().numpy())
    return np.concatenate(out)
