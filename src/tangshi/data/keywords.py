"""Keywords of lines: the things a line turns on (山, 月, 秋风, 故人 …), learned from the poet's training text
(the verse and the four forms' Tang train splits; never a dev poem), for planning a poem line by line.

What names a thing: tradition sorts characters into 实字 (things: 山 水 风 月) and 虚字 (particles, adverbs:
不 何 亦 犹), and 对仗 pairs 实 with 实 and 虚 with 虚 (声律启蒙's 云对雨, 雪对风). The 对仗 measure
(judge/parallel.py), learned from real middle couplets, has learned those classes: a character's **实 score**
is its mean pair score against a few 实字 (REAL_SEEDS) less its mean against a few 虚字 (VOID_SEEDS). Ranked
by it, the top of the 3,078 characters it knows is 云雨月山风烟水沙雪星树石…, the bottom 犹何还未终岂自曾常…
A character is a candidate when its 实 score is above 0; a two-character word (a pair that stands where a
line reads a word — 二二一, 二二二一, and the last two characters — at least `min_count` times and `word_pmi`
nats more often than its characters predict: the phrase rule of Mikolov et al. 2013) when its last character,
its head, is (秋风, 故人, 孤舟).

The candidates are ranked by TextRank (Mihalcea & Tarau 2004), as the planning paper ranks its keywords (Wang
et al. 2016, "Chinese Poetry Generation with Planning based Neural Network"): PageRank over the graph whose
edges join two candidates by the number of poems holding both. The `size` best form the dictionary.

A line's keyword is the best-ranked dictionary entry it holds (a line may hold none), and the dictionary ranks
its two-character words before its characters (each part by TextRank): TextRank alone ranks the commonest
things first (人 风 山 日 天 云), so every line's keyword would be one of a dozen; a word names the line's thing
more exactly (秋风 before 风, 故人 before 人), and a line without one falls back on its most central thing.
"""

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from ..atomic import atomic_path
from ..errors import TangshiError
from .corpus import poem_lines

KEYWORDS = Path("data/keywords/keywords.json")  # the dictionary, best first (stages/keywords.py)
PLANNER = Path("data/keywords/planner.npz")  # the planner's co-occurrence of its entries (writing/plan.py)
REAL_SEEDS = "山水风月花鸟云雨天地"  # 实字: things
VOID_SEEDS = "不无何自亦犹已岂莫而"  # 虚字: particles and adverbs
DAMPING = 0.85  # TextRank's, as PageRank's
ITERATIONS = 50


def word_spans(length: int) -> list[tuple[int, int]]:
    """Where a line of `length` characters reads a two-character word: 二二(二)一, and its last two characters."""
    return sorted({(k, k + 2) for k in range(0, length - 2, 2)} | {(length - 2, length)})


def line_candidates(line: str, words) -> list[str]:
    """What a line holds of `words` (any container of two-character words), then its characters."""
    return [line[a:b] for a, b in word_spans(len(line)) if line[a:b] in words] + list(line)


def real_scores(parallel) -> dict[str, float]:
    """Each character the 对仗 model knows -> its 实 score (see the module's doc)."""
    vectors = parallel.vectors * parallel.signs
    def against(seeds: str) -> np.ndarray:
        rows = [parallel.index[c] for c in seeds if c in parallel.index]
        if not rows:
            raise TangshiError(f"the 对仗 model knows none of {seeds}: run `dvc repro parallel` on the whole corpus")
        return vectors @ parallel.vectors[rows].T  # (V, seeds)
    real, void = against(REAL_SEEDS), against(VOID_SEEDS)
    return {c: float(real[i].mean() - void[i].mean()) for i, c in enumerate(parallel.chars)}


@dataclass
class Keywords:
    """The keyword dictionary, best first, with each entry's TextRank score and count in the training text."""

    words: list[str]
    scores: list[float]
    counts: list[int]

    def __post_init__(self):
        self.rank = {w: i for i, w in enumerate(self.words)}

    def __contains__(self, word: str) -> bool:
        return word in self.rank

    def __len__(self) -> int:
        return len(self.words)

    def of_line(self, line: str) -> str | None:
        """The line's keyword: the best-ranked dictionary entry it holds, or None."""
        held = [w for w in line_candidates(line, self.rank) if w in self.rank]
        return min(held, key=self.rank.__getitem__) if held else None

    def of_poem(self, poem: str) -> list[str | None]:
        return [self.of_line(line) for line in poem_lines(poem)]

    def save(self, path: str | Path) -> None:
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps({"words": self.words, "scores": self.scores, "counts": self.counts},
                                            ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Keywords":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TangshiError(f"no keyword dictionary at {path}: run `dvc repro keywords`")
        except (json.JSONDecodeError, KeyError) as err:
            raise TangshiError(f"corrupt keyword dictionary {path} ({err}): run `dvc repro -f keywords`")
        return cls(data["words"], data["scores"], data["counts"])


def candidates(poems: list[str], real: dict[str, float], min_count: int, word_pmi: float) -> dict[str, int]:
    """Candidate -> its count in `poems`: 实 characters and the two-character words with a 实 head."""
    chars, pairs = Counter(), Counter()
    for poem in poems:
        for line in poem_lines(poem):
            chars.update(line)
            pairs.update(line[a:b] for a, b in word_spans(len(line)))
    total = sum(chars.values())
    thing = lambda c: real.get(c, 0.0) > 0  # noqa: E731
    out = {c: n for c, n in chars.items() if n >= min_count and thing(c)}
    out.update({w: n for w, n in pairs.items() if n >= min_count and thing(w[1]) and w[0] != w[1]
                and np.log(n * total / (chars[w[0]] * chars[w[1]])) >= word_pmi})
    return out


def incidence(poems: list[str], index: dict[str, int]) -> sparse.csr_matrix:
    """(poems, entries) 0/1: which entries of `index` each poem holds."""
    rows, cols = [], []
    for number, poem in enumerate(poems):
        held = {index[w] for line in poem_lines(poem) for w in line_candidates(line, index) if w in index}
        rows.extend([number] * len(held))
        cols.extend(held)
    return sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(poems), len(index)))


def textrank(graph: sparse.csr_matrix) -> np.ndarray:
    """PageRank scores of the nodes of a symmetric weighted graph (edge weights; the diagonal unused)."""
    out = np.asarray(graph.sum(axis=1)).ravel()
    out[out == 0] = 1.0
    walk = (sparse.diags(1.0 / out) @ graph).T.tocsr()
    n = graph.shape[0]
    score = np.full(n, 1.0 / n)
    for _ in range(ITERATIONS):
        score = (1 - DAMPING) / n + DAMPING * (walk @ score)
    return score


def learn(poems: list[str], parallel, size: int, min_count: int, word_pmi: float, chars: set[str] | None = None) -> Keywords:
    """The `size` best-ranked candidates of `poems` whose characters are all in `chars` (the poet's dictionary: a
    keyword must be writable; None: any), two-character words first (see the module's doc)."""
    if not poems:
        raise TangshiError("no poems to learn keywords from: run `dvc repro verse corpus` first")
    counts = candidates(poems, real_scores(parallel), min_count, word_pmi)
    if chars is not None:
        counts = {w: n for w, n in counts.items() if set(w) <= chars}
    if not counts:
        raise TangshiError(f"no keyword candidate is seen {min_count} times: lower keywords.min_count")
    entries = sorted(counts)
    index = {w: i for i, w in enumerate(entries)}
    x = incidence(poems, index)
    graph = (x.T @ x).tocsr()
    graph.setdiag(0)
    graph.eliminate_zeros()
    score = textrank(graph)
    best = sorted(range(len(entries)), key=lambda i: (-score[i], entries[i]))[:size]
    best.sort(key=lambda i: -len(entries[i]))  # stable: words, then characters, each still by TextRank
    return Keywords([entries[i] for i in best], [round(float(score[i]) * len(entries), 6) for i in best],
                    [counts[entries[i]] for i in best])


def coverage(keywords: Keywords, poems: list[str]) -> float:
    """The share of the poems' lines that hold a keyword."""
    lines = [line for poem in poems for line in poem_lines(poem)]
    return sum(keywords.of_line(line) is not None for line in lines) / max(len(lines), 1)


def line_examples(keywords: Keywords, poems: list[str], n: int, seed: int) -> list[dict]:
    """`n` lines drawn at random from `poems` (one a poem), each with its keyword."""
    rng = random.Random(seed)
    return [{"line": line, "keyword": keywords.of_line(line)}
            for poem in rng.sample(poems, min(len(poems), n)) for line in [rng.choice(poem_lines(poem))]]
