"""Training batches: sequences cut into pieces of at most 50 tokens, bucketed by length, shuffled per epoch.

A Tang 五律 is one piece of 50 tokens (`*`, 48, `$`). A poem of the verse
corpus longer than 8 lines is cut at line-pair boundaries into pieces of 8
lines, each next piece starting with the `。` that ended the last, so every
token but the first is predicted exactly once. Pieces are padded to their
bucket's length (14, 26, 38 or 50: 2, 4, 6 or 8 lines) with PAD, which the
loss ignores. Batches are the same for any number of processes: process r of
w takes rows r, r+w, … of each.
"""

from dataclasses import dataclass

import numpy as np

PAD = -1
MAX_TOKENS = 50  # `*`, 8 lines of 6 tokens, `$`
STEP = 48  # a cut piece moves on by 8 lines
BUCKETS = (14, 26, 38, 50)


@dataclass
class Pieces:
    ids: np.ndarray  # one int32 stream
    starts: np.ndarray  # where each piece starts in it
    lengths: np.ndarray  # its length in tokens
    widths: np.ndarray | None = None  # the padded length of each piece: its bucket's, unless given

    def __post_init__(self) -> None:
        if self.widths is None:
            self.widths = bucket_widths(self.lengths)

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def targets(self) -> int:
        """Tokens predicted in one pass over every piece."""
        return int((self.lengths - 1).sum())


def fixed_pieces(array: np.ndarray) -> Pieces:
    """Each row of an (N, T) array of equal-length poems as one piece, never padded."""
    n, t = array.shape
    lengths = np.full(n, t, dtype=np.int64)
    return Pieces(np.ascontiguousarray(array).reshape(-1), np.arange(n, dtype=np.int64) * t, lengths, lengths)


def cut_pieces(ids: np.ndarray, offsets: np.ndarray) -> Pieces:
    """Poems of any length (the stream and N+1 offsets of encode_verse) as pieces of at most MAX_TOKENS."""
    starts, lengths = [], []
    for begin, end in zip(offsets[:-1].tolist(), offsets[1:].tolist()):
        while end - begin > MAX_TOKENS:
            starts.append(begin)
            lengths.append(STEP + 1)
            begin += STEP
        starts.append(begin)
        lengths.append(end - begin)
    return Pieces(ids, np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64))


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


def batch_count(pieces: Pieces, batch_size: int, fraction: float = 1.0) -> int:
    """len(epoch_batches(...)) without shuffling: it does not depend on the seed."""
    total = sum(-(-len(members) // batch_size) for members in buckets(pieces))
    return int(np.ceil(fraction * total))
