"""How much of the poet's text each min_count keeps: the size of the poet's dictionary against its coverage (about 30 s).

    python scripts/dictionary_coverage.py      # from the repo root, after `dvc repro verse corpus`

The poet's training text is the verse corpus and the Tang train splits of the
four forms (as stages/vocab.py builds the dictionary from); coverage is the share
of its characters (punctuation aside) the dictionary holds, and the same share
on each dev split, which the dictionary never saw.
"""

import sys
from collections import Counter

sys.path.insert(0, "src")
from tangshi.data.corpus import read_poems  # noqa: E402
from tangshi.forms import FORMS  # noqa: E402

PUNCT = "，。"


def coverage(texts: list[str], keep: set[str]) -> float:
    chars = [c for t in texts for c in t if c not in PUNCT]
    return sum(c in keep for c in chars) / max(len(chars), 1)


def main() -> None:
    own = read_poems("data/verse/poems.txt") + [t for f in FORMS for t in read_poems(f"data/corpus/{f.folder}/train.txt")]
    dev = {f.name: read_poems(f"data/corpus/{f.folder}/dev.txt") for f in FORMS} | {"normal 五律": read_poems("data/corpus/normal/dev.txt")}
    counts = Counter(c for t in own for c in t if c not in PUNCT)
    print(f"{len(counts):,} distinct characters, {sum(counts.values()):,} in all\n")
    print("| min_count | characters | its own text | " + " | ".join(f"{name} dev" for name in dev) + " |")
    print("|---|---|---|" + "---|" * len(dev))
    for m in (1, 2, 3, 5, 8, 10, 20, 50):
        keep = {c for c, n in counts.items() if n >= m}
        print(f"| {m} | {len(keep):,} | {coverage(own, keep):.2%} | " + " | ".join(f"{coverage(d, keep):.2%}" for d in dev.values()) + " |")
    top = {c for c, _ in counts.most_common(2000)}
    print(f"| (2,000 commonest) | 2,000 | {coverage(own, top):.2%} | " + " | ".join(f"{coverage(d, top):.2%}" for d in dev.values()) + " |")


if __name__ == "__main__":
    main()
