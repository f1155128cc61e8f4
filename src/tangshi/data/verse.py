"""The verse corpus: every Tang and Song poem written wholly in five- or wholly in seven-character lines,
minus dev.

绝句, 律诗, 排律 and 古体 alike, filtered, simplified and deduplicated like the
五律 corpus (exact, then near-duplicates), minus every poem that is, or
near-duplicates, a dev poem of any form's Tang split (五绝, 七绝, 五律, 七律) or
one of its variant readings, so that no dev perplexity is flattered. It is what
the poet reads before it reads the Tang regulated verse itself.

Encoded with a dictionary it is one stream of ids, `*` and `$` around each
poem; beside it are kept the offset where each poem starts (the same for every
dictionary: one token a character) and the form each poem has the shape of (an
index into forms.FORMS, or -1): a poet trained on every form starts those poems
with the form's token instead of `*`.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..errors import TangshiError
from ..forms import FORMS, form_of_shape
from .corpus import poem_lines, unique_poems, verse_rejection
from .dedup import LineIndex, group_near_duplicates
from .vocab import Vocab

DYNASTIES = ("tang", "song")
VERSE_REASONS = ("symbols", "line_length", "punctuation")
# line counts as metrics/verse.json groups them: 绝句 (4), 律诗 (8), and ranges of the longer 排律 and 古体
LINE_BINS = ((2, 2), (4, 4), (6, 6), (8, 8), (10, 12), (14, 20), (22, 40), (42, 10_000))


def line_bin(lines: int) -> str:
    low, high = next((lo, hi) for lo, hi in LINE_BINS if lo <= lines <= hi)
    return str(low) if low == high else f"{low}+" if high == 10_000 else f"{low}-{high}"


@dataclass
class Verse:
    poems: list[tuple[str, str]]  # (dynasty, text), in corpus order
    stats: dict


def build_verse(records: dict[str, list[dict]], excluded: list[str]) -> Verse:
    """The five- and seven-character verse of `records` (dynasty -> raw records) minus poems near any `excluded` text."""
    labelled = ((dynasty, record) for dynasty in DYNASTIES for record in records.get(dynasty, []))
    unique, rejected, duplicates = unique_poems(labelled, verse_rejection)
    guard = LineIndex(poem_lines(t) for t in excluded)
    clean = [p for p in unique if not guard.near(poem_lines(p[1]))]
    groups = group_near_duplicates([poem_lines(t) for _, t in clean])
    poems = [p for i, p in enumerate(clean) if groups[i] == i]
    if not poems:
        raise TangshiError("no five- or seven-character verse left after removing dev poems: check corpus.source")
    by_lines: dict[str, Counter] = {f"{d}_{n}": Counter() for d in DYNASTIES for n in (5, 7)}
    for dynasty, text in poems:
        lines = poem_lines(text)
        by_lines[f"{dynasty}_{len(lines[0])}"][line_bin(len(lines))] += 1
    stats = {
        "poems_read": sum(len(records.get(d, [])) for d in DYNASTIES),
        "rejected": {reason: rejected.get(reason, 0) for reason in VERSE_REASONS},
        "duplicates": duplicates,
        "removed_for_dev_overlap": len(unique) - len(clean),
        "near_duplicates_removed": len(clean) - len(poems),
        "poems": len(poems),
        "characters": sum(len(t) - len(t) // 6 for _, t in poems),
        "by_dynasty": {d: sum(sum(by_lines[f"{d}_{n}"].values()) for n in (5, 7)) for d in DYNASTIES},
        "by_form": {f.name: sum(poem_form(t) == i for _, t in poems) for i, f in enumerate(FORMS)},
        "by_lines": {k: {line_bin(lo): c[line_bin(lo)] for lo, _ in LINE_BINS} for k, c in by_lines.items()},  # tang_5: Tang 五言
    }
    return Verse(poems, stats)


def poem_form(text: str) -> int:
    """The index in FORMS of the form whose shape a verse poem has, or -1."""
    lines = poem_lines(text)
    form = form_of_shape(len(lines), len(lines[0]))
    return FORMS.index(form) if form else -1


def verse_offsets(texts: list[str]) -> np.ndarray:
    """The N+1 offsets of the poems in their stream: each is `*`, one token a character or mark, `$`."""
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(t) + 2 for t in texts])
    return offsets


def encode_verse(vocab: Vocab, texts: list[str]) -> np.ndarray:
    """One int32 stream of every poem as `*`, its tokens, `$` (cut at verse_offsets(texts))."""
    total = sum(len(t) + 2 for t in texts)
    return np.fromiter((i for t in texts for i in vocab.encode(t)), dtype=np.int32, count=total)

