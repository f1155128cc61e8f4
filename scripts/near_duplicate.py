"""How many pairs of unique Tang 五律 share how many lines: the evidence for the near-duplicate rule (about 4 s).

    python scripts/near_duplicate.py          # from the repo root, after `dvc repro fetch`

Counts pairs of distinct poems (after t2s and exact deduplication) by the number
of lines they share exactly, and the pairs that the rule's one-character
tolerance adds, with a few of each to read.
"""

import random
import sys
from collections import Counter, defaultdict

sys.path.insert(0, "src")
from tangshi.data.corpus import load_json_folder, poem_lines, rejection, unique_poems  # noqa: E402
from tangshi.data.dedup import LineIndex  # noqa: E402


def main() -> None:
    unique, _, _ = unique_poems((("", r) for r in load_json_folder("data/raw/tang")), rejection)
    texts = [t for _, t in unique]
    lines = [poem_lines(t) for t in texts]
    exact: dict[str, set[int]] = defaultdict(set)
    for number, poem in enumerate(lines):
        for line in set(poem):
            exact[line].add(number)
    shared: Counter = Counter()
    for members in exact.values():
        for a in members:
            for b in members:
                if a < b:
                    shared[a, b] += 1
    index = LineIndex(lines)
    fuzzy = {(a, b): n for b, poem in enumerate(lines) for a, n in index.shared_counts(poem).items() if a < b and n >= 2}
    print(f"{len(texts)} unique 五律; pairs by lines shared exactly: {dict(sorted(Counter(shared.values()).items()))}")
    added = [pair for pair in fuzzy if shared.get(pair, 0) < 2]
    print(f"pairs with 2+ lines matching but for one character: {len(fuzzy)}, of which {len(added)} share under 2 exactly")
    random.seed(0)
    for title, pairs in (("share 1 line", [p for p, n in shared.items() if n == 1]),
                         ("share 2 lines", [p for p, n in shared.items() if n == 2]),
                         ("added by the one-character tolerance", added)):
        print(f"\n{title}:")
        for a, b in random.sample(pairs, min(4, len(pairs))):
            print(f"  {texts[a]}\n  {texts[b]}\n")


if __name__ == "__main__":
    main()
