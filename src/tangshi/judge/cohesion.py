"""A poem read as a whole: how specific its words are, how often it repeats itself, how well its lines' images
belong together — learned from the poet's training text, never from a dev poem.

- **Specificity**: the mean inverse document frequency of a poem's characters, log((N + 1) / (df + 1)) over
  the N poems of the text. Likelihood-maximising decoding prefers the commonest characters (Holtzman et
  al. 2019); this is how far a poem's words are its own.
- **Repetition**: the share of a poem's characters that repeat an earlier character of the same poem; a
  character doubling the one just before it in its line (叠字: 萧萧, 滚滚) is counted apart, as `doubled`.
- **Cohesion**: the mean pointwise mutual information, over poems, of every pair of *content* characters that
  stand in different lines, shrunk toward independence: log((c_ab + 1) / (e_ab + 1)), c_ab the poems holding
  both and e_ab = df_a · df_b / N the poems expected to by chance. Plain PMI, log(c_ab · N / (df_a · df_b)),
  scores two rare characters never seen together far above chance (with c_ab smoothed to ½, two characters
  of ten poems each read +7 nats), so it rewarded any rare word; the pseudo-count reads thin evidence as
  independence (0) and keeps the measure for characters that were seen, together or apart.
  Content characters leave out the COMMON commonest, which stand with everything: over all characters the
  measure mostly reads blandness, which specificity already counts. A poem whose images belong to one scene
  scores high; lines drawn from different poems score low (the floor).

Each measure is read beside two references computed the same way: real dev poems of the form, and dev lines
drawn from different dev poems (`floor_poems`). Cohesion is reported as the share of poems above the real
dev poems' median (real: 0.5 by construction).
"""

import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median

import numpy as np
from scipy import sparse

from ..atomic import atomic_path
from ..data.corpus import poem_lines
from ..errors import TangshiError
from .quality import lines_of

COMMON = 300  # the commonest characters, left out of cohesion
MIN_DF = 5  # content characters in fewer poems than this are too rare to pair reliably
SHRINK = 1.0  # pseudo-poems added to a pair's observed and expected counts: thin evidence reads as independence


@dataclass
class WordStats:
    """Document frequencies of every character of a text, and co-occurrence counts of its content characters."""

    chars: list[str]  # by descending document frequency
    df: np.ndarray  # poems holding each character
    freq: np.ndarray  # occurrences of each character (for the unigram model)
    poems: int
    content: int  # chars[COMMON : COMMON + content] are the content characters, rows of `pairs`
    pairs: sparse.csr_matrix  # poems holding both of two content characters (symmetric, diagonal unused)

    def __post_init__(self):
        self.index = {c: i for i, c in enumerate(self.chars)}
        self.idf = np.log((self.poems + 1) / (self.df + 1.0))
        self.unseen_idf = math.log(self.poems + 1)

    @classmethod
    def learn(cls, poems: list[str], common: int = COMMON, min_df: int = MIN_DF) -> "WordStats":
        if not poems:
            raise TangshiError("no poems to learn word statistics from: run `dvc repro verse corpus` first")
        df, freq = Counter(), Counter()
        sets = []
        for poem in poems:
            chars = [c for line in lines_of(poem) for c in line]
            freq.update(chars)
            unique = set(chars)
            df.update(unique)
            sets.append(unique)
        chars = sorted(df, key=lambda c: (-df[c], c))
        content = sum(1 for c in chars[common:] if df[c] >= min_df)
        row_of = {c: i for i, c in enumerate(chars[common : common + content])}
        rows, cols = [], []
        for number, unique in enumerate(sets):
            ids = [row_of[c] for c in unique if c in row_of]
            rows.extend([number] * len(ids))
            cols.extend(ids)
        x = sparse.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)), shape=(len(sets), content))
        pairs = (x.T @ x).tocsr()
        pairs.setdiag(0)
        pairs.eliminate_zeros()
        return cls(chars, np.array([df[c] for c in chars], np.int64), np.array([freq[c] for c in chars], np.int64),
                   len(poems), content, pairs.astype(np.int32))

    def save(self, path: str | Path) -> None:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, chars=np.array(self.chars), df=self.df, freq=self.freq, poems=self.poems,
                                    content=self.content, data=self.pairs.data, indices=self.pairs.indices,
                                    indptr=self.pairs.indptr)

    @classmethod
    def load(cls, path: str | Path) -> "WordStats":
        try:
            z = np.load(path)
        except FileNotFoundError:
            raise TangshiError(f"{path} not found: run `dvc repro cohesion` first")
        content = int(z["content"])
        pairs = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(content, content))
        return cls([str(c) for c in z["chars"]], z["df"], z["freq"], int(z["poems"]), content, pairs)

    # --- one poem ---
    def specificity(self, poem: str) -> float:
        chars = [c for line in lines_of(poem) for c in line]
        return mean(self.idf[self.index[c]] if c in self.index else self.unseen_idf for c in chars) if chars else 0.0

    def content_row(self, char: str) -> int | None:
        i = self.index.get(char)
        return i - COMMON if i is not None and COMMON <= i < COMMON + self.content else None

    def cohesion(self, poem: str) -> float | None:
        """Mean PMI of the pairs of distinct content characters in different lines; None without such a pair."""
        lines = [{r for r in map(self.content_row, line) if r is not None} for line in lines_of(poem)]
        pairs = [(a, b) for i, one in enumerate(lines) for other in lines[i + 1 :] for a in one for b in other if a != b]
        if not pairs:
            return None
        a, b = np.array(pairs).T
        together = np.asarray(self.pairs[a, b]).ravel()
        df = self.df[COMMON : COMMON + self.content].astype(np.float64)
        expected = df[a] * df[b] / self.poems
        return float(np.mean(np.log((together + SHRINK) / (expected + SHRINK))))

    def unigram_nll(self, chars: list[str]) -> float:
        """Mean negative log-probability per character under the text's unigram model."""
        total = float(self.freq.sum())
        return mean(-math.log((self.freq[self.index[c]] if c in self.index else 0.5) / total) for c in chars) if chars else 0.0

    def unigram_log_probs(self, tokens: list[str]) -> np.ndarray:
        """log p(token) under the text's unigram model, for each token of a dictionary (0 for a non-character)."""
        total = float(self.freq.sum())
        out = np.zeros(len(tokens))
        for i, t in enumerate(tokens):
            j = self.index.get(t)
            if j is not None:
                out[i] = math.log(self.freq[j] / total)
            elif len(t) == 1 and "\u3400" <= t <= "\u9fff":
                out[i] = math.log(0.5 / total)
        return out


def repetition(poem: str) -> tuple[float, float]:
    """(repeated, doubled): the shares of a poem's characters that repeat an earlier one of the poem, 叠字 apart,
    and that double the character just before them in their line (叠字)."""
    seen, repeated, doubled, total = set(), 0, 0, 0
    for line in lines_of(poem):
        for i, c in enumerate(line):
            total += 1
            if i and line[i - 1] == c:
                doubled += 1
            elif c in seen:
                repeated += 1
            seen.add(c)
    return (repeated / total, doubled / total) if total else (0.0, 0.0)


def floor_poems(poems: list[str], seed: int) -> list[str]:
    """As many poems as given, line i of each from a different poem: after a seeded shuffle, poem j's line i is
    line i of poem j + i (mod n). Lines that keep their form and place, but not their poem."""
    if len(poems) < 2:
        return []
    order = list(poems)
    random.Random(seed).shuffle(order)
    lines = [poem_lines(p) for p in order]
    n = len(order)
    out = []
    for j in range(n):
        chosen = [lines[(j + i) % n][i] for i in range(len(lines[j]))]
        out.append("".join(line + ("，" if k % 2 == 0 else "。") for k, line in enumerate(chosen)))
    return out


def measures(poems: list[str], stats: WordStats, cohesion_median: float | None = None) -> dict:
    """The three measures over a set of poems: mean specificity, repetition and 叠字 shares, mean cohesion, and
    (given the real poems' median) the share of poems whose cohesion is above it."""
    if not poems:
        return {}
    reps = [repetition(p) for p in poems]
    cohesions = [stats.cohesion(p) for p in poems]
    scored = [c for c in cohesions if c is not None]
    out = {
        "specificity": mean(stats.specificity(p) for p in poems),
        "repeated": mean(r for r, _ in reps),
        "doubled": mean(d for _, d in reps),
        "cohesion": mean(scored) if scored else 0.0,
    }
    if cohesion_median is not None:  # a poem without a content pair counts as below
        out["cohesion_above_real_median"] = sum(c is not None and c > cohesion_median for c in cohesions) / len(poems)
    return {k: round(float(v), 5) for k, v in out.items()}


def references(stats: WordStats, dev: list[str], seed: int) -> dict:
    """Real dev poems' figures and the floor's (lines of different dev poems), with the real cohesion median."""
    scored = [c for c in (stats.cohesion(p) for p in dev) if c is not None]
    real_median = median(scored) if scored else 0.0
    return {
        "poems": len(dev),
        "cohesion_median": round(float(real_median), 5),
        "real": measures(dev, stats, real_median),
        "floor": measures(floor_poems(dev, seed), stats, real_median),
    }


def load_references(path: str | Path) -> dict[str, dict]:
    """Each form's references (real dev poems, floor, real median), from the cohesion stage's metrics/cohesion.json."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)["by_form"]
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run `dvc repro cohesion` first")


def real_medians(path: str | Path) -> dict[str, float]:
    """Each form's real dev median of cohesion."""
    return {form: ref["cohesion_median"] for form, ref in load_references(path).items()}


def read_whole(poem: str, stats: WordStats, reference: dict | None = None) -> dict:
    """One poem's three figures, beside the real dev poems' of its form where `reference` is given."""
    repeated, doubled = repetition(poem)
    cohesion = stats.cohesion(poem)
    out = {"specificity": round(stats.specificity(poem), 3), "repeated": round(repeated, 3), "doubled": round(doubled, 3),
           "cohesion": None if cohesion is None else round(cohesion, 3)}
    if reference is not None:
        out["real"] = {"specificity": reference["real"]["specificity"], "repeated": reference["real"]["repeated"],
                       "cohesion_median": reference["cohesion_median"]}
    return out


def explain(whole: dict, form_name: str) -> str:
    """`read_whole`'s figures in one line, as `tangshi write --explain` prints them."""
    real = whole.get("real")
    ref = (lambda key, fmt: f" (real {form_name} {fmt.format(real[key])})" if real else "")  # noqa: E731
    cohesion = "no pair of content characters" if whole["cohesion"] is None else f"{whole['cohesion']:.2f}" + (
        f" (real {form_name} median {real['cohesion_median']:.2f}: {'above' if whole['cohesion'] > real['cohesion_median'] else 'below'})"
        if real else "")
    return (f"as a whole: specificity {whole['specificity']:.2f}{ref('specificity', '{:.2f}')} · repeated "
            f"{whole['repeated']:.1%}{ref('repeated', '{:.1%}')}, 叠字 {whole['doubled']:.1%} · cohesion {cohesion}")
