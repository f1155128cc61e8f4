"""Whether a poem is about its title, told from its text alone (issue 21's subject measure).

A title says what a poem is about (送友人, 秋夜寄丘员外, 登岳阳楼); most of its
characters are names and occasions, but some carry the subject: 送, 秋, 夜,
寺, 登. From (title, poem) pairs of a train split, for each of the KEYWORDS
commonest title characters (numbers and 首 left out: they count poems, they
name no subject) a Bernoulli naive Bayes log-likelihood ratio of a poem's set
of characters, the poems whose title has that character against all poems. A
title scores a poem by the mean ratio of its keywords, each centred on its mean
over the poems scored (a common keyword must not win every poem). A poem's true
title is ranked among DISTRACTORS titles of other poems (each with at least one
keyword); the share ranked first is the measure, chance 1/(DISTRACTORS+1), and
its value on real dev poems, which nothing learned from, is the ceiling.
"""

import random
from collections import Counter

import numpy as np

from ..data.conditions import NOT_SUBJECTS
from ..data.corpus import is_cjk

KEYWORDS = 300  # title characters the measure knows
DISTRACTORS = 9
SMOOTHING = 1.0


class TitleScorer:
    """How well each title fits each poem, learned from (title, poem) pairs of the train split."""

    def __init__(self, train: list[tuple[str, str]]):
        counts = Counter(c for t, _ in train for c in set(t) if is_cjk(c) and c not in NOT_SUBJECTS)
        self.keywords = [c for c, _ in counts.most_common(KEYWORDS)]
        self.k_index = {c: i for i, c in enumerate(self.keywords)}
        self.c_index = {c: i for i, c in enumerate(sorted({c for _, p in train for c in p if is_cjk(c)}))}
        x, y = self.present([p for _, p in train]), self.title_rows([t for t, _ in train])
        p_kc = (y.T @ x + SMOOTHING) / (y.sum(0)[:, None] + 2 * SMOOTHING)  # P(char in poem | keyword in title)
        p_c = (x.sum(0) + SMOOTHING) / (len(x) + 2 * SMOOTHING)
        self.w = np.log(p_kc / p_c) - np.log((1 - p_kc) / (1 - p_c))
        self.b = np.log((1 - p_kc) / (1 - p_c)).sum(1)

    def present(self, poems: list[str]) -> np.ndarray:
        x = np.zeros((len(poems), len(self.c_index)), dtype=np.float32)
        for n, p in enumerate(poems):
            x[n, [self.c_index[c] for c in set(p) if c in self.c_index]] = 1
        return x

    def title_rows(self, titles: list[str]) -> np.ndarray:
        y = np.zeros((len(titles), len(self.keywords)), dtype=np.float32)
        for n, t in enumerate(titles):
            y[n, [self.k_index[c] for c in set(t) if c in self.k_index]] = 1
        return y

    def has_keyword(self, title: str) -> bool:
        return any(c in self.k_index for c in title)

    def first_share(self, titles: list[str], poems: list[str], pool: list[str], seed: int) -> float:
        """The share of poems whose own title outranks DISTRACTORS titles drawn from `pool` (other titles with a
        keyword); each keyword's ratio is centred on its mean over these poems."""
        llr = self.present(poems) @ self.w.T + self.b
        llr -= llr.mean(0)
        pool = sorted({t for t in pool if self.has_keyword(t)})
        rng = random.Random(seed)
        firsts = []
        for i, title in enumerate(titles):
            others = rng.sample([t for t in pool if t != title], DISTRACTORS)
            rows = self.title_rows([title] + others)
            scores = (llr[i] @ rows.T) / rows.sum(1)
            firsts.append(scores[0] > scores[1:].max())
        return float(np.mean(firsts))
