"""对仗: how parallel a couplet is, learned from the middle couplets of real Tang 律诗 (their train split only).

In a 律诗's second and third couplets each character of the second line answers
the character at the same place of the first: 明月/清泉, 松/石, 照/流. We count
the aligned pairs of those couplets, weigh each by its positive pointwise mutual
information (how much more often the two stand face to face than their
frequencies predict; the partner's frequency smoothed by the power 0.75, as in
word2vec), and keep a low-rank approximation of that symmetric matrix: a
character becomes a vector, and a pair's score is a bilinear product of the two,
so that pairs never seen together but of kinds that answer each other (a hill
and a stream, two colours, two numbers) still score. The same character facing
itself scores 0: repeating a character is not 对仗.

A couplet's score is the mean score of its aligned pairs; it is parallel when it
reaches the threshold that best tells real middle couplets from two lines of
different poems set side by side (Youden's J, on train poems held out of the
fit). 对仗 is judged by taste too: the score is a note beside the rules of 格律,
never a rule.
"""

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..data.corpus import poem_lines
from ..errors import TangshiError

SMOOTHING = 0.75  # the partner's frequency to this power (Levy, Goldberg & Dagan 2015)
MIDDLE = ((2, 3), (4, 5))  # line indices of a 律诗's second and third couplets
# Famous 律诗 to read the measure by: four with both middle couplets parallel, and 黄鹤楼, whose second
# couplet famously is not (黄鹤一去不复返，白云千载空悠悠).
FAMOUS = {
    "春望": "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。",
    "山居秋暝": "空山新雨后，天气晚来秋。明月松间照，清泉石上流。竹喧归浣女，莲动下渔舟。随意春芳歇，王孙自可留。",
    "登高": "风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。",
    "蜀相": "丞相祠堂何处寻，锦官城外柏森森。映阶碧草自春色，隔叶黄鹂空好音。三顾频烦天下计，两朝开济老臣心。出师未捷身先死，长使英雄泪满襟。",
    "黄鹤楼": "昔人已乘黄鹤去，此地空余黄鹤楼。黄鹤一去不复返，白云千载空悠悠。晴川历历汉阳树，芳草萋萋鹦鹉洲。日暮乡关何处是，烟波江上使人愁。",
}


@dataclass
class ParallelModel:
    chars: str  # the characters it knows, one a row of `vectors`
    vectors: np.ndarray  # (V, rank): rows scaled by the square root of |eigenvalue|
    signs: np.ndarray  # (rank,) the eigenvalues' signs: score(x, y) = Σ_k x_k · sign_k · y_k
    threshold: float = float("nan")  # a couplet is parallel at a score at least this

    def __post_init__(self):
        self.index = {c: i for i, c in enumerate(self.chars)}

    def pair_score(self, a: str, b: str) -> float:
        i, j = self.index.get(a), self.index.get(b)
        if a == b or i is None or j is None:
            return 0.0
        return float(self.vectors[i] * self.signs @ self.vectors[j])

    def couplet_score(self, first: str, second: str) -> float:
        """Mean score of the aligned characters of two lines of the same length."""
        if len(first) != len(second) or not first:
            raise TangshiError(f"a couplet is two lines of one length, not {len(first)} and {len(second)} characters")
        return float(np.mean([self.pair_score(a, b) for a, b in zip(first, second)]))

    def is_parallel(self, first: str, second: str) -> bool:
        return self.couplet_score(first, second) >= self.threshold

    def couplets(self, poem: str) -> list[dict]:
        """Each couplet of a poem: its line numbers (from 1), score and whether it is parallel."""
        lines = poem_lines(poem)
        out = []
        for k in range(0, len(lines) - 1, 2):
            score = self.couplet_score(lines[k], lines[k + 1])
            out.append({"lines": [k + 1, k + 2], "score": round(score, 3), "parallel": score >= self.threshold})
        return out

    def save(self, path: str | Path) -> None:
        with atomic_path(Path(path)) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, chars=np.array(list(self.chars)), vectors=self.vectors.astype(np.float32), signs=self.signs,
                         threshold=np.float64(self.threshold))

    @classmethod
    def load(cls, path: str | Path) -> "ParallelModel":
        try:
            with np.load(path) as data:
                return cls("".join(data["chars"].tolist()), data["vectors"], data["signs"], float(data["threshold"]))
        except FileNotFoundError:
            raise TangshiError(f"no 对仗 model at {path}: run `dvc repro parallel`")
        except (KeyError, ValueError, OSError) as err:
            raise TangshiError(f"corrupt 对仗 model {path} ({err}): run `dvc repro parallel` again")


def load_if_built(path: str | Path) -> ParallelModel | None:
    """The 对仗 model at `path`, or None where the parallel stage has not run (writing and checking go on without it)."""
    return ParallelModel.load(path) if Path(path).exists() else None


def middle_couplets(poems: list[str]) -> list[tuple[str, str]]:
    """The second and third couplets of every 律诗 among `poems` (8 lines); 绝句 have none."""
    out = []
    for poem in poems:
        lines = poem_lines(poem)
        if len(lines) == 8:
            out.extend((lines[a], lines[b]) for a, b in MIDDLE)
    return out


def fit(couplets: list[tuple[str, str]], min_count: int, rank: int) -> ParallelModel:
    """The low-rank PPMI of aligned pairs over characters seen at least `min_count` times in them (no threshold yet)."""
    pairs = Counter()
    for first, second in couplets:
        for a, b in zip(first, second):
            if a != b:
                pairs[a, b] += 1
                pairs[b, a] += 1
    totals = Counter()
    for (a, _), n in pairs.items():
        totals[a] += n
    chars = "".join(sorted(c for c, n in totals.items() if n >= min_count))
    if len(chars) < 2:
        raise TangshiError(f"too few couplets to learn 对仗 from ({len(couplets)}): lower parallel.min_count or give more 律诗")
    index = {c: i for i, c in enumerate(chars)}
    counts = np.zeros((len(chars), len(chars)))
    for (a, b), n in pairs.items():
        if a in index and b in index:
            counts[index[a], index[b]] = n
    rows = counts.sum(axis=1)
    smoothed = rows**SMOOTHING
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 counts: no pair (a row may be empty), masked below
        pmi = np.log(counts * smoothed.sum() / (rows[:, None] * smoothed[None, :]))
    ppmi = np.where(counts > 0, np.maximum(pmi, 0.0), 0.0)
    ppmi = (ppmi + ppmi.T) / 2  # smoothing made it lean one way
    values, vectors = np.linalg.eigh(ppmi)
    keep = np.argsort(-np.abs(values))[: min(rank, len(chars))]
    return ParallelModel(chars, vectors[:, keep] * np.sqrt(np.abs(values[keep])), np.sign(values[keep]))


def random_couplets(poems: list[str], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """`n` pairs of an odd line and an even line of two different poems of one line length, at one couplet's place."""
    by_length: dict[int, list[list[str]]] = {}
    for poem in poems:
        lines = poem_lines(poem)
        by_length.setdefault(len(lines[0]), []).append(lines)
    groups = [g for g in by_length.values() if len(g) >= 2]
    if not groups:
        raise TangshiError("random couplets need two poems of one line length")
    weights = [len(g) for g in groups]
    out = []
    for _ in range(n):
        one, other = rng.sample(rng.choices(groups, weights)[0], 2)
        k = rng.randrange(min(len(one), len(other)) // 2)
        out.append((one[2 * k], other[2 * k + 1]))
    return out


def best_threshold(positive: list[float], negative: list[float]) -> float:
    """The score that best separates the two sets: the largest true-positive minus false-positive rate."""
    pos, neg = np.sort(positive), np.sort(negative)
    candidates = np.unique(np.concatenate([pos, neg]))
    tpr = 1 - np.searchsorted(pos, candidates, side="left") / len(pos)
    fpr = 1 - np.searchsorted(neg, candidates, side="left") / len(neg)
    return float(candidates[np.argmax(tpr - fpr)])


def learn(train_poems: list[str], min_count: int, rank: int, fit_share: float, seed: int) -> ParallelModel:
    """Fit on `fit_share` of the train 律诗; choose the threshold on the rest, against random couplets of the rest."""
    if not 0 < fit_share < 1:
        raise TangshiError(f"parallel.fit_share must lie between 0 and 1, not {fit_share}: the rest chooses the threshold")
    poems = [p for p in train_poems if len(poem_lines(p)) == 8]
    random.Random(seed).shuffle(poems)
    cut = int(len(poems) * fit_share)
    fitted, held = poems[:cut], poems[cut:]
    if not held:
        raise TangshiError(f"no 律诗 left to choose the 对仗 threshold on ({len(poems)} in all): give more poems")
    model = fit(middle_couplets(fitted), min_count, rank)
    positive = [model.couplet_score(*c) for c in middle_couplets(held)]
    negative = [model.couplet_score(*c) for c in random_couplets(held, 4 * len(held), random.Random(seed + 1))]
    model.threshold = best_threshold(positive, negative)
    return model


def parallel_shares(model: ParallelModel, poems: list[str], seed: int) -> dict:
    """On real 律诗: how often each couplet is parallel, both middle ones, and random couplets from these poems."""
    poems = [p for p in poems if len(poem_lines(p)) == 8]
    if not poems:
        raise TangshiError("parallel_shares needs 律诗 (8 lines)")
    lines = [poem_lines(p) for p in poems]
    flags = np.array([[model.is_parallel(ls[k], ls[k + 1]) for k in (0, 2, 4, 6)] for ls in lines])
    shuffled = random_couplets(poems, 4 * len(poems), random.Random(seed))
    return {
        "poems": len(lines),
        "couplet_1_2": round(float(flags[:, 0].mean()), 4),
        "couplet_3_4": round(float(flags[:, 1].mean()), 4),
        "couplet_5_6": round(float(flags[:, 2].mean()), 4),
        "couplet_7_8": round(float(flags[:, 3].mean()), 4),
        "both_middle": round(float((flags[:, 1] & flags[:, 2]).mean()), 4),
        "random_couplets": round(float(np.mean([model.is_parallel(*c) for c in shuffled])), 4),
    }


def plain_middle_couplets(model: ParallelModel, poem: str) -> int:
    """How many of a 律诗's two middle couplets are not parallel (0 for a 绝句, which has none)."""
    lines = poem_lines(poem)
    return sum(not model.is_parallel(lines[a], lines[b]) for a, b in MIDDLE) if len(lines) == 8 else 0


def both_middle_parallel(model: ParallelModel, poem: str) -> bool:
    """Whether both middle couplets of a 律诗 are parallel."""
    return len(poem_lines(poem)) == 8 and plain_middle_couplets(model, poem) == 0
