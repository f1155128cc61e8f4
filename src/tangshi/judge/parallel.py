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

Tradition judges 对仗 position by position — 天对地, 明月对清风, 虚词 with 虚词 —
and so does the grade: a position (character) is answered when its pair scores
at least `unit_threshold`, or when the two-character word it stands in (the
lines read 二二一 and 二二二一) scores `word_factor` times that on average, so that
a word may answer a word whose characters do not pair one by one, and 叠字
answers 叠字 (萧萧/滚滚). A couplet is 工对 when every position is
answered, 宽对 when all but one are, and not parallel otherwise; the threshold is
the pair that best tells real middle couplets (at least 宽对) from two lines of
different poems set side by side (Youden's J, on train 律诗 held out of the fit).
声律启蒙's pairs and couplets, which nothing here learns from, validate it. The
couplet's mean score (and `threshold`, chosen the same way) is the lenient
judgement of before, kept to compare. 对仗 is judged by taste too: the grade is a
note beside the rules of 格律, never a rule.
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


GRADES = ("工对", "宽对", "not parallel")  # by the number of unanswered positions: 0, 1, more
NOT_PARALLEL = GRADES[2]
UNIT_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 21))  # the grids the unit threshold and the word
WORD_FACTORS = (1.0, 2.0, 3.0)  # factor are chosen from


def grade_of(unanswered: list[int]) -> str:
    """The grade of a couplet that leaves these positions unanswered."""
    return GRADES[min(len(unanswered), 2)]


def words(length: int) -> list[tuple[int, int]]:
    """The spans a line of 5 or 7 characters reads in: 二二一 (明月/松间/照) and 二二二一."""
    return [(k, k + 2) for k in range(0, length - 1, 2)] + ([(length - 1, length)] if length % 2 else [])


# Couplets a reader does not call parallel: one sentence run across two lines (散行; a 流水对 proper is
# parallel in form, as 即从巴峡穿巫峡，便下襄阳向洛阳 is 工对), and first and last couplets that do not pair
UNPAIRED = {
    "黄鹤楼": ("黄鹤一去不复返", "白云千载空悠悠"),
    "清明": ("借问酒家何处有", "牧童遥指杏花村"),
    "游子吟": ("谁言寸草心", "报得三春晖"),
    "渭城曲": ("劝君更尽一杯酒", "西出阳关无故人"),
    "蜀相": ("丞相祠堂何处寻", "锦官城外柏森森"),
    "和晋陵陆丞早春游望": ("独有宦游人", "偏惊物候新"),
    "夜雨寄北": ("君问归期未有期", "巴山夜雨涨秋池"),
    "黄鹤楼送孟浩然之广陵": ("故人西辞黄鹤楼", "烟花三月下扬州"),
    "静夜思": ("床前明月光", "疑是地上霜"),
    "春望": ("白头搔更短", "浑欲不胜簪"),
}


@dataclass
class ParallelModel:
    chars: str  # the characters it knows, one a row of `vectors`
    vectors: np.ndarray  # (V, rank): rows scaled by the square root of |eigenvalue|
    signs: np.ndarray  # (rank,) the eigenvalues' signs: score(x, y) = Σ_k x_k · sign_k · y_k
    threshold: float = float("nan")  # the lenient judgement: a couplet's mean score at least this
    unit_threshold: float = float("nan")  # a position is answered at a pair score at least this …
    word_factor: float = 1.0  # … or when its word's mean score reaches this many times it

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

    def unanswered(self, first: str, second: str, at: float | None = None, factor: float | None = None) -> list[int]:
        """The positions (0-based) where the second line does not answer the first: the characters' pair scores
        under `at` (the unit threshold by default), and the two-character word they stand in under `factor`
        times it on average (word_factor by default)."""
        at = self.unit_threshold if at is None else at
        factor = self.word_factor if factor is None else factor
        scores = [self.pair_score(a, b) for a, b in zip(first, second)]
        out = []
        for lo, hi in words(len(first)):
            if hi - lo == 2 and first[lo] == first[lo + 1] != second[lo] == second[lo + 1]:
                continue  # 叠字 answering 叠字 (萧萧/滚滚): a pair of its own kind, whatever the characters
            word = float(np.mean(scores[lo:hi])) if hi - lo == 2 else -np.inf
            out += [k for k in range(lo, hi) if scores[k] < at and word < factor * at]
        return out

    def grade(self, first: str, second: str, at: float | None = None, factor: float | None = None) -> str:
        """工对 (every position answered), 宽对 (all but one) or not parallel."""
        return grade_of(self.unanswered(first, second, at, factor))

    def is_parallel(self, first: str, second: str) -> bool:
        """At least 宽对."""
        return self.grade(first, second) != NOT_PARALLEL

    def is_parallel_leniently(self, first: str, second: str) -> bool:
        """The judgement of before the grades: the couplet's mean score at least `threshold`."""
        return self.couplet_score(first, second) >= self.threshold

    def couplets(self, poem: str) -> list[dict]:
        """Each couplet of a poem: its line numbers (from 1), mean score, grade, the positions (from 1) left
        unanswered, and whether it is parallel (at least 宽对)."""
        lines = poem_lines(poem)
        out = []
        for k in range(0, len(lines) - 1, 2):
            score = self.couplet_score(lines[k], lines[k + 1])
            missed = self.unanswered(lines[k], lines[k + 1])
            grade = grade_of(missed)
            out.append({"lines": [k + 1, k + 2], "score": round(score, 3), "grade": grade,
                        "unanswered": [p + 1 for p in missed], "parallel": grade != NOT_PARALLEL})
        return out

    def save(self, path: str | Path) -> None:
        with atomic_path(Path(path)) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, chars=np.array(list(self.chars)), vectors=self.vectors.astype(np.float32), signs=self.signs,
                         threshold=np.float64(self.threshold), unit_threshold=np.float64(self.unit_threshold),
                         word_factor=np.float64(self.word_factor))

    @classmethod
    def load(cls, path: str | Path) -> "ParallelModel":
        try:
            with np.load(path) as data:
                return cls("".join(data["chars"].tolist()), data["vectors"], data["signs"], float(data["threshold"]),
                           float(data["unit_threshold"]), float(data["word_factor"]))
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
    middle, crossed = middle_couplets(held), random_couplets(held, 4 * len(held), random.Random(seed + 1))
    model.threshold = best_threshold([model.couplet_score(*c) for c in middle], [model.couplet_score(*c) for c in crossed])
    model.unit_threshold, model.word_factor = best_unit_threshold(model, middle, crossed)
    return model


def best_unit_threshold(model: ParallelModel, middle: list[tuple[str, str]], crossed: list[tuple[str, str]]) -> tuple[float, float]:
    """The unit threshold and word factor (of UNIT_THRESHOLDS and WORD_FACTORS) whose grade (at least 宽对) best
    tells real middle couplets from crossed ones (Youden's J; on a tie the lower threshold, then factor)."""
    def share(couplets, at, factor):
        return np.mean([model.grade(a, b, at, factor) != NOT_PARALLEL for a, b in couplets])
    grid = [(at, factor) for at in UNIT_THRESHOLDS for factor in WORD_FACTORS]
    return max(grid, key=lambda g: (share(middle, *g) - share(crossed, *g), -g[0], -g[1]))


def parallel_shares(model: ParallelModel, poems: list[str], seed: int) -> dict:
    """On real 律诗: how often each couplet is parallel, both middle ones, and random couplets from these poems."""
    poems = [p for p in poems if len(poem_lines(p)) == 8]
    if not poems:
        raise TangshiError("parallel_shares needs 律诗 (8 lines)")
    lines = [poem_lines(p) for p in poems]
    grades = np.array([[model.grade(ls[k], ls[k + 1]) for k in (0, 2, 4, 6)] for ls in lines])
    flags = grades != NOT_PARALLEL
    lenient = np.array([[model.is_parallel_leniently(ls[k], ls[k + 1]) for k in (2, 4)] for ls in lines])
    shuffled = random_couplets(poems, 4 * len(poems), random.Random(seed))
    return {
        "poems": len(lines),
        **{f"couplet_{k + 1}_{k + 2}": round(float(flags[:, k // 2].mean()), 4) for k in (0, 2, 4, 6)},
        "both_middle": round(float((flags[:, 1] & flags[:, 2]).mean()), 4),
        "middle_grades": grade_shares(grades[:, 1:3].ravel()),
        "random_couplets": round(float(np.mean([model.is_parallel(*c) for c in shuffled])), 4),
        "random_grades": grade_shares(np.array([model.grade(*c) for c in shuffled])),
        # the judgement of before the grades, to compare: mean score at least `threshold`
        "lenient": {"both_middle": round(float(lenient.all(axis=1).mean()), 4),
                    "random_couplets": round(float(np.mean([model.is_parallel_leniently(*c) for c in shuffled])), 4)},
    }


def grade_shares(grades) -> dict[str, float]:
    """The share of each grade among graded couplets."""
    grades = list(grades)
    return {g: round(sum(x == g for x in grades) / max(len(grades), 1), 4) for g in GRADES}


def middle_grades(model: ParallelModel, poems: list[str]) -> dict[str, float]:
    """The share of each grade among the middle couplets of the 律诗 among `poems`."""
    return grade_shares([model.grade(a, b) for a, b in middle_couplets(poems)])


def primer_shares(model: ParallelModel, pairs: dict[str, list[tuple[str, str]]], seed: int) -> dict:
    """声律启蒙 (data/mengxue.py) graded: its five- and seven-character couplets by grade, and its single
    characters and two-character words answered (as a couplet's positions are), each beside the same pairs
    with their partners shuffled."""
    rng = random.Random(seed)
    def shuffled(items):
        partners = [b for _, b in items]
        rng.shuffle(partners)
        return [(a, b) for (a, _), b in zip(items, partners)]
    def answered(items):
        return round(float(np.mean([not model.unanswered(a, b) for a, b in items])), 4)
    out = {}
    for length in (5, 7):
        couplets = pairs[f"couplets{length}"]
        out[f"couplets{length}"] = {"couplets": len(couplets), **grade_shares([model.grade(a, b) for a, b in couplets]),
                                    "shuffled_at_least_kuan": round(float(np.mean([model.is_parallel(*c) for c in shuffled(couplets)])), 4)}
    for kind in ("chars", "words"):
        out[kind] = {"pairs": len(pairs[kind]), "answered": answered(pairs[kind]), "shuffled": answered(shuffled(pairs[kind]))}
    return out


def plain_middle_couplets(model: ParallelModel, poem: str) -> int:
    """How many of a 律诗's two middle couplets are not parallel (0 for a 绝句, which has none)."""
    lines = poem_lines(poem)
    return sum(not model.is_parallel(lines[a], lines[b]) for a, b in MIDDLE) if len(lines) == 8 else 0


def both_middle_parallel(model: ParallelModel, poem: str) -> bool:
    """Whether both middle couplets of a 律诗 are parallel."""
    return len(poem_lines(poem)) == 8 and plain_middle_couplets(model, poem) == 0
