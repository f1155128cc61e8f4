"""Near-duplicates: variant readings of one poem that survive exact deduplication.

Two poems are near-duplicates when at least two lines of one match lines of
the other, a match being the same line or one that differs in a single
character (旧枝 / 故枝). Exact deduplication keeps both readings of a poem;
split apart, one would leak the other into training. Grouping by this rule
also merges series that share a refrain (白居易's 何处难忘酒 … 此时无一醆),
which is the honest side to err on: a refrain in both splits flatters dev too.
"""

from collections import defaultdict
from typing import Iterable, Sequence

MIN_SHARED = 2  # lines two poems must share (exactly or but for one character) to be near-duplicates


def masked(line: str) -> list[str]:
    """The line with each position in turn replaced by a wildcard: two lines of equal length
    share one of these keys exactly when they differ in at most one character."""
    return [line[:i] + "\x00" + line[i + 1 :] for i in range(len(line))]


class LineIndex:
    """Which poems of a collection hold a line matching a given line."""

    def __init__(self, poems: Iterable[Sequence[str]]):
        self.keys: dict[str, set[int]] = defaultdict(set)
        for number, lines in enumerate(poems):
            for line in set(lines):
                for key in masked(line):
                    self.keys[key].add(number)

    def shared_counts(self, lines: Sequence[str]) -> dict[int, int]:
        """For each indexed poem, how many distinct lines of `lines` match one of its lines."""
        counts: dict[int, int] = defaultdict(int)
        for line in set(lines):
            hits = set()
            for key in masked(line):
                hits |= self.keys.get(key, set())
            for number in hits:
                counts[number] += 1
        return counts

    def near(self, lines: Sequence[str], min_shared: int = MIN_SHARED) -> bool:
        return any(n >= min_shared for n in self.shared_counts(lines).values())


def group_near_duplicates(poems: list[Sequence[str]], min_shared: int = MIN_SHARED) -> list[int]:
    """A group number per poem (the index of the group's first poem): near-duplicates, transitively."""
    parent = list(range(len(poems)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = LineIndex(poems)
    for number, lines in enumerate(poems):
        for other, shared in index.shared_counts(lines).items():
            if other < number and shared >= min_shared:
                a, b = root(number), root(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)  # the earliest poem stays the root
    return [root(i) for i in range(len(poems))]
