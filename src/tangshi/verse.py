"""The verse corpus: every Tang and Song poem written wholly in five-character lines, minus dev.

五绝, 五律, 五排 and 五古 alike (about 112,000 poems, 6 M characters), filtered,
simplified and deduplicated like the 五律 corpus (exact, then near-duplicates),
minus every poem that is, or near-duplicates, a dev poem of the large 五律 set
or one of its variant readings, so that neither dev perplexity is flattered.
It is what the poet reads before it reads the Tang 五律 themselves.

Stored encoded with the pipeline's dictionary: one stream of ids, `*` and `$`
around each poem, and the offset where each poem starts.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .corpus import poem_lines, unique_poems, verse_rejection
from .dedup import LineIndex, group_near_duplicates
from .errors import TangshiError
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
    """The five-character verse of `records` (dynasty -> raw records) minus poems near any `excluded` text."""
    labelled = ((dynasty, record) for dynasty in DYNASTIES for record in records.get(dynasty, []))
    unique, rejected, duplicates = unique_poems(labelled, verse_rejection)
    guard = LineIndex(poem_lines(t) for t in excluded)
    clean = [p for p in unique if not guard.near(poem_lines(p[1]))]
    groups = group_near_duplicates([poem_lines(t) for _, t in clean])
    poems = [p for i, p in enumerate(clean) if groups[i] == i]
    if not poems:
        raise TangshiError("no five-character verse left after removing dev poems: check corpus.source")
    by_lines: dict[str, Counter] = {d: Counter() for d in DYNASTIES}
    for dynasty, text in poems:
        by_lines[dynasty][line_bin(len(poem_lines(text)))] += 1
    stats = {
        "poems_read": sum(len(records.get(d, [])) for d in DYNASTIES),
        "rejected": {reason: rejected.get(reason, 0) for reason in VERSE_REASONS},
        "duplicates": duplicates,
        "removed_for_dev_overlap": len(unique) - len(clean),
        "near_duplicates_removed": len(clean) - len(poems),
        "poems": len(poems),
        "characters": sum(len(t) - len(t) // 6 for _, t in poems),
        "by_dynasty": {d: sum(by_lines[d].values()) for d in DYNASTIES},
        "by_lines": {d: {line_bin(lo): by_lines[d][line_bin(lo)] for lo, _ in LINE_BINS} for d in DYNASTIES},
    }
    return Verse(poems, stats)


def encode_verse(vocab: Vocab, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One int32 stream of every poem as `*`, its tokens, `$`; and the N+1 offsets of the poems in it."""
    encoded = [vocab.encode(t) for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    return np.fromiter((i for e in encoded for i in e), dtype=np.int32, count=int(offsets[-1])), offsets

