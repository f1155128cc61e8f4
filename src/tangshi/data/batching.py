"""Training batches: sequences cut into pieces of at most 66 tokens, bucketed by length, shuffled per epoch.

A Tang regulated poem is one piece: 26, 34, 50 or 66 tokens for a 五绝, 七绝,
五律 or 七律 (`*` or its form token, the lines, `$`). A longer poem of the
verse corpus is cut at line-pair boundaries into pieces of 48 tokens (8 lines
of 5 or 6 of 7 characters), each next piece starting with the `。` that ended
the last, so every token but the first is predicted exactly once. Pieces are
padded to their bucket's length with PAD, which the loss ignores. Batches are
the same for any number of processes: process r of w takes rows r, r+w, … of
each.
"""

from dataclasses import dataclass

import numpy as np

PAD = -1
MARKS = (2, 3)  # the ids of `，` and `。` in every dictionary (data/vocab.py: SPECIALS come first)
MAX_TOKENS = 66  # a 七律: `*`, 8 lines of 8 tokens, `$`
STEP = 48  # a cut piece moves on by 8 lines of 5 characters or 6 of 7: whole couplets either way
BUCKETS = (14, 18, 26, 34, 38, 50, 66)  # 2, 4, 6, 8 lines of 5 characters; 2, 4, 6, 8 of 7 (50 is both)


@dataclass
class Pieces:
    ids: np.ndarray  # one int32 stream
    starts: np.ndarray  # where each piece starts in it
    lengths: np.ndarray  # its length in tokens
    widths: np.ndarray | None = None  # the padded length of each piece: its bucket's, unless given
    conditions: np.ndarray | None = None  # (pieces, width): what each piece's poem is told (data/conditions.py)

    def __post_init__(self) -> None:
        if self.widths is None:
            self.widths = bucket_widths(self.lengths)

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def targets(self) -> int:
        """Tokens predicted in one pass over every piece."""
        return int((self.lengths - 1).sum())


def fixed_pieces(*arrays: np.ndarray, conditions: list[np.ndarray] | None = None) -> Pieces:
    """Each row of (N, T) arrays of equal-length poems (T may differ between arrays) as one piece, never padded;
    `conditions`, one (N, width) array of what each poem is told beside each array."""
    ids = np.concatenate([np.ascontiguousarray(a).reshape(-1) for a in arrays])
    lengths = np.concatenate([np.full(len(a), a.shape[1], dtype=np.int64) for a in arrays])
    starts = np.zeros(len(lengths), dtype=np.int64)
    starts[1:] = np.cumsum(lengths)[:-1]
    return Pieces(ids, starts, lengths, lengths, None if conditions is None else np.concatenate(conditions))


def cut_pieces(ids: np.ndarray, offsets: np.ndarray, conditions: np.ndarray | None = None) -> Pieces:
    """Poems of any length (the stream and N+1 offsets of encode_verse) as pieces of at most MAX_TOKENS; each piece
    is told what its poem is told (`conditions`, one row a poem)."""
    starts, lengths, poems = [], [], []
    for poem, (begin, end) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist())):
        while end - begin > MAX_TOKENS:
            starts.append(begin)
            lengths.append(STEP + 1)
            poems.append(poem)
            begin += STEP
        starts.append(begin)
        lengths.append(end - begin)
        poems.append(poem)
    told = None if conditions is None else conditions[np.array(poems, dtype=np.int64)]
    return Pieces(ids, np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64), None, told)


def bucket_widths(lengths: np.ndarray) -> np.ndarray:
    """The bucket each length pads to; a length past the last bucket stays as it is."""
    buckets = np.array(BUCKETS)
    return np.where(lengths <= buckets[-1], buckets[np.minimum(np.searchsorted(buckets, lengths), len(buckets) - 1)], lengths)


def buckets(pieces: Pieces) -> list[np.ndarray]:
    """The piece numbers of each bucket, shortest bucket first."""
    return [np.flatnonzero(pieces.widths == w) for w in np.unique(pieces.widths)]


def epoch_batches(pieces: Pieces, batch_size: int, seed: int, fraction: float = 1.0) -> list[np.ndarray]:
    """The piece numbers of each batch of one epoch: shuffled within buckets, then batches shuffled.

    `fraction` < 1 keeps only the first share of the epoch's batches (a partial epoch).
    """
    rng = np.random.default_rng(seed)
    batches = []
    for members in buckets(pieces):
        order = members[rng.permutation(len(members))]
        batches.extend(order[i : i + batch_size] for i in range(0, len(order), batch_size))
    batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches[: int(np.ceil(fraction * len(batches)))]


def gather(pieces: Pieces, rows: np.ndarray) -> np.ndarray:
    """The (B, L) int64 array of the given pieces, padded with PAD to the longest's bucket."""
    lengths = pieces.lengths[rows]
    width = int(pieces.widths[rows].max())
    column = np.arange(width)
    index = pieces.starts[rows][:, None] + column
    out = pieces.ids[np.minimum(index, len(pieces.ids) - 1)].astype(np.int64)
    out[column >= lengths[:, None]] = PAD
    return out


def gather_conditions(pieces: Pieces, rows: np.ndarray) -> np.ndarray | None:
    """What each of the given pieces is told, in gather's order (None for pieces told nothing)."""
    return None if pieces.conditions is None else pieces.conditions[rows]


def batch_count(pieces: Pieces, batch_size: int, fraction: float = 1.0) -> int:
    """len(epoch_batches(...)) without shuffling: it does not depend on the seed."""
    total = sum(-(-len(members) // batch_size) for members in buckets(pieces))
    return int(np.ceil(fraction * total))
