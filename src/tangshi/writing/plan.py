"""A planner: one keyword for every line of a poem, from a title, a start character and the keywords a user
gives, filled with keywords that belong with them (Wang et al. 2016 expand a user's words into one sub-topic
per line the same way).

Keywords belong together as often as they stand in one poem of the training text more than chance says:
pointwise mutual information over poems, shrunk toward independence as the cohesion measure is
(judge/cohesion.py: log((c+1)/(e+1)), so that two rare keywords seen together once are no strong pair). A line
without a keyword takes, among the dictionary entries not yet in the plan, one of the `top` that belong best
with everything the plan holds so far (the title's keywords, the start character, the given and the chosen
ones), drawn with weights exp(score / temperature) from a generator seeded with `seed`: the same request and
seed give the same plan. Told nothing at all, the first line draws among the `top` best-ranked keywords.

By PMI alone the rarest keywords win (霞 plans 洞府 神仙) while a real poem's lines turn on common things, and by
the conditional probability every title plans 日 人 山 风: the score is the PMI plus `prior` times log p(keyword),
and only keywords in at least `floor` poems are planned (a user may give any). A title's occasion words (题, 和,
赠 …) are not read: 题 would fill a poem with 题诗 笔 翰. A planned keyword shares no character with the plan's
others: one thing a line, not 杨花 then 杨.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from ..atomic import atomic_path
from ..data.corpus import poem_lines
from ..data.keywords import KEYWORDS, PLANNER, Keywords, incidence, line_candidates
from ..errors import TangshiError

OCCASION = frozenset("题和次韵赠奉呈酬答同作赋寄送首")  # how titles name their occasion, not their subject
TOP = 10  # a line's keyword is drawn among this many best
TEMPERATURE = 0.5  # nats: how sharply the draw prefers the best of them


@dataclass
class Planner:
    keywords: Keywords
    together: sparse.csr_matrix  # (K, K) poems holding both of two keywords
    df: np.ndarray  # (K,) poems holding each keyword
    poems: int
    floor: int = 1  # only keywords in at least this many poems are planned
    prior: float = 0.0  # weight of log p(keyword) added to the PMI: 0 plans by PMI, 1 by p(keyword | context)

    def __post_init__(self):
        self.by_char: dict[str, list[int]] = {}
        for i, word in enumerate(self.keywords.words):
            for char in set(word):
                self.by_char.setdefault(char, []).append(i)

    def affinity(self, context: list[int]) -> np.ndarray:
        """(K,) the mean shrunk PMI of every keyword with the keywords of `context` (0 for an empty one)."""
        if not context:
            return np.zeros(len(self.keywords))
        counts = self.together[context].toarray()  # (C, K)
        expected = self.df[context][:, None] * self.df[None, :] / self.poems
        return np.log((counts + 1) / (expected + 1)).mean(axis=0)

    def context_of(self, text: str | None) -> list[int]:
        """The dictionary entries a title (or any text) holds, but those with an occasion word."""
        rank = self.keywords.rank
        return sorted({rank[w] for w in line_candidates(text or "", rank) if w in rank and not set(w) & OCCASION})

    def plan(self, lines: int, given: list[str | None] | None = None, title: str | None = None,
             start: str | None = None, seed: int = 0, top: int = TOP, temperature: float = TEMPERATURE) -> list[str]:
        """One keyword for each of `lines` lines: `given` where it names one (each in the dictionary), the rest
        planned (see the module's doc)."""
        given = list(given or []) + [None] * (lines - len(given or []))
        if len(given) > lines:
            raise TangshiError(f"a plan of {lines} lines has at most {lines} keywords, one a line; {len(given)} given")
        for word in given:
            if word is not None and word not in self.keywords:
                raise TangshiError(f"{word!r} is not in the keyword dictionary: try {'、'.join(self.closest(word))}")
        rank = self.keywords.rank
        chosen = [rank[w] for w in given if w is not None]
        context = sorted(set(chosen) | set(self.context_of(title)) | set(self.context_of(start)))
        rng = np.random.default_rng(seed)
        plan = []
        for word in given:
            if word is None:
                if context:
                    score = self.affinity(context) + self.prior * np.log(self.df.clip(min=1) / self.poems)
                else:  # told nothing: the best-ranked keywords, the best most often
                    score = -np.log1p(np.arange(len(self.keywords), dtype=float))
                score[list(set(context) | {rank[w] for w in plan})] = -np.inf
                score[self.sharing("".join(w for w in plan + given if w))] = -np.inf
                score[self.df < self.floor] = -np.inf
                best = np.argsort(-score, kind="stable")[:top]
                weights = np.exp((score[best] - score[best[0]]) / temperature)
                word = self.keywords.words[int(rng.choice(best, p=weights / weights.sum()))]
                context = sorted(set(context) | {rank[word]})
            plan.append(word)
        return plan

    def sharing(self, chars: str) -> list[int]:
        """The dictionary entries holding any of `chars`."""
        return sorted({i for c in set(chars) for i in self.by_char.get(c, ())})

    def closest(self, word: str, n: int = 5) -> list[str]:
        """Dictionary entries that share a character with `word`, best-ranked first (the commonest when none does)."""
        near = [w for w in self.keywords.words if set(w) & set(word)]
        return (near or self.keywords.words)[:n]

    def save(self, path: str | Path) -> None:
        together = self.together.tocsr()
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, data=together.data, indices=together.indices, indptr=together.indptr,
                                    df=self.df, poems=self.poems, floor=self.floor, prior=self.prior)

    @classmethod
    def load(cls, keywords: Keywords, path: str | Path) -> "Planner":
        try:
            z = np.load(path)
        except FileNotFoundError:
            raise TangshiError(f"no keyword planner at {path}: run `dvc repro keywords`")
        except (OSError, ValueError) as err:
            raise TangshiError(f"corrupt keyword planner {path} ({err}): run `dvc repro -f keywords`")
        k = len(keywords)
        if len(z["df"]) != k:
            raise TangshiError(f"the keyword planner {path} is of another dictionary: run `dvc repro keywords`")
        together = sparse.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(k, k))
        return cls(keywords, together, z["df"], int(z["poems"]), int(z["floor"]), float(z["prior"]))


def load_planner(keywords: str | Path = KEYWORDS, planner: str | Path = PLANNER) -> Planner:
    """The keyword dictionary and the planner the keywords stage wrote."""
    return Planner.load(Keywords.load(keywords), planner)


def learn_planner(keywords: Keywords, poems: list[str], floor: int = 1, prior: float = 0.0) -> Planner:
    """Co-occurrence of the dictionary's keywords over `poems` (the poet's training text)."""
    x = incidence(poems, keywords.rank)
    together = (x.T @ x).tocsr()
    df = together.diagonal().astype(np.float64)
    together.setdiag(0)
    together.eliminate_zeros()
    return Planner(keywords, together.astype(np.float32), df, len(poems), floor, prior)


def keyword_cohesion(planner: Planner, words: list[str | None]) -> float | None:
    """Mean shrunk PMI over pairs of distinct keywords of one poem (None with fewer than two)."""
    rows = sorted({planner.keywords.rank[w] for w in words if w is not None})
    if len(rows) < 2:
        return None
    return float(np.mean([planner.affinity([a])[b] for i, a in enumerate(rows) for b in rows[i + 1:]]))


def keywords_kept(plans: list[list[str | None]], poems: list[str]) -> float:
    """The share of lines told a keyword that hold it."""
    pairs = [(word, line) for plan, poem in zip(plans, poems) for word, line in zip(plan, poem_lines(poem)) if word]
    return round(sum(word in line for word, line in pairs) / max(len(pairs), 1), 5)


BLANK_MARKS = ("-", "—", "_")  # how a user leaves a line's keyword to the planner


def read_keywords(words: list[str] | None) -> list[str | None] | None:
    """A user's keywords, one a line in order, `-` for a line left to the planner."""
    return None if not words else [None if w in BLANK_MARKS else w for w in words]


def plan_for(planner: Planner, request, lines: int, seed: int) -> list[str]:
    """The plan of one request (decode.Request): its keywords, the rest planned from its title and what it starts
    with (its start character, acrostic or first line)."""
    start = request.start or request.acrostic or request.first_line
    return planner.plan(lines, request.keywords, title=request.title, start=start, seed=seed)
