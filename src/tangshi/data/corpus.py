"""From raw 全唐诗 JSON to the 五言律诗 corpus, simplified, deduplicated and split.

A poem is kept when its text (paragraphs joined, converted by OpenCC t2s) is
exactly 8 lines of 5 CJK characters with `，` after odd and `。` after even lines.
Exact duplicates go, and so do near-duplicates (variant readings, dedup.py):
one poem of each group is kept. The train/dev side of a poem depends only on a
hash of its text and the seed, so a poem never changes side when the corpus
grows.
"""

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import opencc

from ..errors import TangshiError
from ..forms import BY_NAME as FORMS_BY_NAME, FORMS, NAMES, WULV, Form, form_of_shape
from .dedup import LineIndex, group_near_duplicates

SETS = ("normal", "large")
LINES, CHARS = 8, 5
POEM_LEN = LINES * (CHARS + 1)  # 48 tokens: 40 characters and 8 punctuation marks
PUNCT = "，。"
# Punctuation that ends a line in the corpus; any other non-CJK symbol rejects the poem.
LINE_END = "，。？！；：、"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_CHAR = re.compile(f"[{_CJK}]")
LINE = re.compile(f"([{_CJK}]*)([{LINE_END}])")
CJK_RUN = re.compile(f"[{_CJK}]+")
REASONS = ("symbols", "line_count", "line_length", "punctuation")
VERSE_CHARS = (5, 7)


@lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def is_cjk(char: str) -> bool:
    return CJK_CHAR.fullmatch(char) is not None


def parse_lines(text: str) -> list[tuple[str, str]] | None:
    """(characters, end mark) of each line, or None when the text holds any other symbol."""
    if any(not is_cjk(c) and c not in LINE_END for c in text):
        return None  # □ for lost characters, brackets, notes, Latin letters
    lines = LINE.findall(text)
    if "".join(body + end for body, end in lines) != text:
        return None
    return lines


def rejection(text: str, form: Form = WULV) -> str | None:
    """Why `text` is not a well-formed poem of `form` (五言律诗 unless told), or None when it is."""
    lines = parse_lines(text)
    if lines is None:
        return "symbols"
    if len(lines) != form.lines:
        return "line_count"
    if any(len(body) != form.chars for body, _ in lines):
        return "line_length"
    if "".join(end for _, end in lines) != PUNCT * (form.lines // 2):
        return "punctuation"
    return None


def detect_form(text: str) -> Form | None:
    """The form whose shape a well-formed poem has, or None."""
    lines = parse_lines(text)
    if not lines:
        return None
    form = form_of_shape(len(lines), len(lines[0][0]))
    return form if form and rejection(text, form) is None else None


def form_problem(text: str, form: Form | None = None) -> str | None:
    """What keeps `text` from being a poem of `form` (of any of the four forms when None), in words for the
    user, or None when it is one."""
    expected = f"a poem of 4 or 8 lines of 5 or 7 characters ({NAMES})" if form is None else f"{form.lines} lines of {form.chars} characters"
    if not text:
        return f"empty input: give {expected}, with ， after odd and 。 after even lines"
    lines = parse_lines(text)
    if lines is None:
        if not any(is_cjk(c) for c in text):
            return f"no Chinese characters: give {expected}, with ， after odd and 。 after even lines"
        odd = "".join(dict.fromkeys(c for c in text if not is_cjk(c) and c not in LINE_END))
        if odd:
            return f"{odd[:8]!r} is not part of a poem: give Chinese characters, ， and 。 alone"
        return "the last line has no end mark: end odd lines with ， and even lines with 。"
    lengths = sorted({len(body) for body, _ in lines})
    if form is not None and lengths != [form.chars]:
        return f"{'/'.join(map(str, lengths))} characters a line; {form.name} has {form.chars}"
    if form is None and (len(lengths) > 1 or lengths[0] not in (5, 7)):
        return f"{'/'.join(map(str, lengths))} characters a line; regulated verse has 5 (五言) or 7 (七言) in every line"
    if form is not None and len(lines) != form.lines:
        return f"{len(lines)} lines; {form.name} has {form.lines}"
    if form is None and len(lines) not in (4, 8):
        return f"{len(lines)} lines; a 绝句 has 4 and a 律诗 8"
    if "".join(end for _, end in lines) != PUNCT * (len(lines) // 2):
        return "punctuation: ， ends the odd lines and 。 the even ones"
    return None


def verse_rejection(text: str) -> str | None:
    """Why `text` is not a poem wholly in five- or wholly in seven-character lines (couplets of `，` then `。`),
    or None."""
    lines = parse_lines(text)
    if not lines:
        return "symbols"
    if len({len(body) for body, _ in lines}) != 1 or len(lines[0][0]) not in VERSE_CHARS:
        return "line_length"
    if len(lines) % 2 or "".join(end for _, end in lines) != PUNCT * (len(lines) // 2):
        return "punctuation"
    return None


def text_lines(text: str) -> list[str]:
    """The runs of CJK characters of any text: the lines of a poem of any shape."""
    return CJK_RUN.findall(text)


def poem_lines(poem: str) -> list[str]:
    """The lines of a well-formed poem of equal lines (8 of 5 for a 五律), without punctuation."""
    width = next((i for i, c in enumerate(poem) if c in PUNCT), len(poem))
    return [poem[i : i + width] for i in range(0, len(poem), width + 1)]


def _file_index(path: Path) -> int:
    return int(path.stem.rsplit(".", 1)[-1])


def load_json_folder(folder: str | Path) -> list[dict]:
    """All records of the poet.*.N.json files in `folder`, in the order of N."""
    folder = Path(folder)
    files = sorted(folder.glob("poet.*.json"), key=_file_index)
    if not files:
        raise TangshiError(f"no poet.*.json files in {folder}: run `dvc repro fetch` first")
    records = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise TangshiError(f"{path} is not valid JSON ({err}): run `dvc repro -f fetch` to fetch it again")
        if not isinstance(data, list):
            raise TangshiError(f"{path} is not a list of poems: run `dvc repro -f fetch` to fetch it again")
        records.extend(data)
    return records


def poem_text(record: dict) -> str:
    paragraphs = record.get("paragraphs") or []
    return "".join(p.strip() for p in paragraphs if isinstance(p, str))


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) from the parts (not Python's salted hash())."""
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_dev(text: str, seed: int, dev_share: float) -> bool:
    return unit_hash("split", seed, text) < dev_share


@dataclass
class Split:
    train: list[tuple[str, str]]  # (id, poem text)
    dev: list[tuple[str, str]]


@dataclass
class FormSet:
    """The Tang poems of one more form (五绝, 七绝, 七律): split like the 五律, kept apart from their twins."""

    split: Split
    dev_twins: list[tuple[str, str]]  # variant readings of its dev poems, and poems near another form's dev poem
    stats: dict


@dataclass
class Corpus:
    sets: dict[str, Split]  # "large": every 五言律诗 kept; "normal": the seeded subset of the report
    dev_twins: list[tuple[str, str]]  # near-duplicates removed because their kept reading is a large dev poem
    stats: dict
    forms: dict[str, FormSet] = field(default_factory=dict)  # by form name: 五绝, 七绝, 七律

    @property
    def large(self) -> Split:
        return self.sets["large"]

    @property
    def normal(self) -> Split:
        return self.sets["normal"]

    def dev_related(self) -> list[str]:
        """Every 五律 text that must not reach training: the large dev poems and their variant readings."""
        return [t for _, t in self.large.dev + self.dev_twins]

    def all_dev_related(self) -> list[str]:
        """The dev poems of every form and their variant readings: what the verse corpus leaves out."""
        return self.dev_related() + [t for f in self.forms.values() for _, t in f.split.dev + f.dev_twins]


def unique_poems(labelled: Iterable[tuple[str, dict]], reject: Callable[[str], str | None]) -> tuple[list[tuple[str, str]], Counter, int]:
    """(label, simplified text) of each record `reject` lets through, exact duplicates dropped (the first kept);
    the count of each rejection reason; the number of duplicates."""
    rejected: Counter = Counter()
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    duplicates = 0
    for label, record in labelled:
        text = to_simplified(poem_text(record))
        reason = reject(text)
        if reason:
            rejected[reason] += 1
        elif text in seen:
            duplicates += 1
        else:
            seen.add(text)
            unique.append((label, text))
    return unique, rejected, duplicates


def split(poems: list[tuple[str, str]], seed: int, dev_share: float, source_size: int) -> Split:
    train = [p for p in poems if not is_dev(p[1], seed, dev_share)]
    dev = [p for p in poems if is_dev(p[1], seed, dev_share)]
    if not train or not dev:
        raise TangshiError(
            f"empty {'train' if not train else 'dev'} split after filtering ({len(poems)} poems kept of "
            f"{source_size} read): the source holds too few 五言律诗; check corpus.source"
        )
    return Split(train, dev)


def build_corpus(records: list[dict], normal_poems: int, seed: int, dev_share: float) -> Corpus:
    """Both sets of 五言律诗, near-duplicates grouped first so that no variant reading crosses the split.

    Of each group of near-duplicates (see dedup.py) the first poem in corpus order is kept; the
    split is a hash of the kept poem's text, and the normal set is a seeded subset of the kept
    poems, so its train and dev lie inside the large set's.
    """
    if not 0 < dev_share < 1:
        raise TangshiError(f"corpus.dev_share must lie strictly between 0 and 1, not {dev_share}")
    if normal_poems < 2:
        raise TangshiError(f"corpus.normal_poems must be at least 2, not {normal_poems}")
    unique, rejected, duplicates = unique_poems(((str(r.get("id", "")), r) for r in records), rejection)
    groups = group_near_duplicates([poem_lines(t) for _, t in unique])
    kept = [p for i, p in enumerate(unique) if groups[i] == i]
    removed = [(p, unique[groups[i]][1]) for i, p in enumerate(unique) if groups[i] != i]
    large = split(kept, seed, dev_share, len(records))
    dev_texts = {t for _, t in large.dev}
    dev_twins = [p for p, kept_text in removed if kept_text in dev_texts]
    chosen = {t for _, t in sorted(kept, key=lambda p: unit_hash("subset", seed, p[1]))[:normal_poems]}
    normal = split([p for p in kept if p[1] in chosen], seed, dev_share, len(records))
    sizes = Counter(groups)
    stats = {
        "poems_read": len(records),
        "rejected": {reason: rejected.get(reason, 0) for reason in REASONS},
        "duplicates": duplicates,
        "regulated_unique": len(unique),
        "near_duplicate_groups": sum(n > 1 for n in sizes.values()),
        "near_duplicates_removed": len(removed),
        "dev_twins": len(dev_twins),
        "kept": len(kept),
        "large": {"train": len(large.train), "dev": len(large.dev)},
        "normal": {"train": len(normal.train), "dev": len(normal.dev)},
    }
    # 五律 (every unique one, with the side of its group) anchor the 五绝; the 七律 anchor the 七绝
    wulv_sides = [("dev" if unique[groups[i]][1] in dev_texts else "train", poem_lines(t)) for i, (_, t) in enumerate(unique)]
    labelled = [(str(r.get("id", "")), r) for r in records]
    qilv = build_form_set(labelled, FORMS_BY_NAME["七律"], seed, dev_share, [])
    forms = {
        "五绝": build_form_set(labelled, FORMS_BY_NAME["五绝"], seed, dev_share, wulv_sides),
        "七绝": build_form_set(labelled, FORMS_BY_NAME["七绝"], seed, dev_share, anchor_sides(qilv)),
        "七律": qilv,
    }
    stats["forms"] = {
        "五律": {"unique": len(unique), "kept": len(kept), "train": len(large.train), "dev": len(large.dev),
                 "dev_twins": len(dev_twins)},
        **{name: f.stats for name, f in forms.items()},
    }
    return Corpus({"normal": normal, "large": large}, dev_twins, stats, forms)


def anchor_sides(form_set: FormSet) -> list[tuple[str, list[str]]]:
    """(side, lines) of every poem of a form set: train, dev, or dev for a dev poem's twin."""
    return ([("train", poem_lines(t)) for _, t in form_set.split.train]
            + [("dev", poem_lines(t)) for _, t in form_set.split.dev + form_set.dev_twins])


def build_form_set(labelled: list[tuple[str, dict]], form: Form, seed: int, dev_share: float,
                   anchors: list[tuple[str, list[str]]]) -> FormSet:
    """One more form's poems, deduplicated and split like the 五律, kept consistent with `anchors`.

    `anchors` are (side, lines) of the poems of the form sharing its line length that was split
    before (五律 for 五绝, 七律 for 七绝): a 绝句 that near-duplicates one of them (half of a 律诗,
    most often) takes its side, and one near a dev poem is left out of both splits, so that no
    variant reading crosses a split between the forms either.
    """
    unique, _, duplicates = unique_poems(labelled, lambda text: rejection(text, form))
    groups = group_near_duplicates([poem_lines(t) for _, t in unique])
    kept_idx = [i for i in range(len(unique)) if groups[i] == i]
    index = LineIndex(lines for _, lines in anchors)
    side: dict[int, str] = {}
    pulled = {"train": 0, "dev": 0}
    for i in kept_idx:
        touched = {anchors[n][0] for n, shared in index.shared_counts(poem_lines(unique[i][1])).items() if shared >= 2}
        if touched:
            side[i] = "dev_twin" if "dev" in touched else "train"
            pulled["dev" if "dev" in touched else "train"] += 1
        else:
            side[i] = "dev" if is_dev(unique[i][1], seed, dev_share) else "train"
    train = [unique[i] for i in kept_idx if side[i] == "train"]
    dev = [unique[i] for i in kept_idx if side[i] == "dev"]
    dev_twins = [p for i, p in enumerate(unique) if side[groups[i]] in ("dev", "dev_twin") and side.get(i) != "dev"]
    if not train or not dev:
        raise TangshiError(
            f"empty {'train' if not train else 'dev'} split of {form.name} ({len(unique)} unique poems of {form.shape}): "
            "the source holds too few; check corpus.source"
        )
    stats = {
        "unique": len(unique), "duplicates": duplicates,
        "near_duplicate_groups": sum(n > 1 for n in Counter(groups).values()),
        "near_duplicates_removed": len(unique) - len(kept_idx),
        "near_other_form_train": pulled["train"], "near_other_form_dev": pulled["dev"],
        "kept": len(train) + len(dev), "train": len(train), "dev": len(dev), "dev_twins": len(dev_twins),
    }
    return FormSet(Split(train, dev), dev_twins, stats)


def read_dev_related(folder: str | Path = "data/corpus/large") -> list[str]:
    """The large dev poems and their variant readings: what no training input may hold."""
    return read_poems(Path(folder) / "dev.txt") + read_poems(Path(folder) / "dev_twins.txt")


def form_folder(form: Form) -> Path:
    """Where the corpus stage writes a form's Tang split: the large set for 五律, data/corpus/<key> otherwise."""
    return Path("data/corpus") / form.folder


def read_all_dev_related() -> list[str]:
    """The dev poems of every form and their variant readings."""
    return [t for form in FORMS for t in read_dev_related(form_folder(form))]


def read_poems(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run `dvc repro corpus` first")
    return [line for line in lines if line]
