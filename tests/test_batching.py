import numpy as np

from tangshi.data.batching import PAD, Pieces, batch_count, epoch_batches, fixed_pieces, gather


def pieces_of(lengths):
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return Pieces(np.arange(sum(lengths), dtype=np.int32), starts.astype(np.int64), np.array(lengths, dtype=np.int64))


def test_batches_stay_within_a_bucket_and_cover_every_piece_once():
    pieces = pieces_of([26] * 70 + [50] * 45 + [14] * 3)
    batches = epoch_batches(pieces, 16, seed=1)
    assert len(batches) == batch_count(pieces, 16) == 5 + 3 + 1
    assert sorted(np.concatenate(batches).tolist()) == list(range(118))
    assert all(len(set(pieces.widths[b].tolist())) == 1 for b in batches)
    assert [b.tolist() for b in epoch_batches(pieces, 16, seed=1)] == [b.tolist() for b in batches]
    assert [b.tolist() for b in epoch_batches(pieces, 16, seed=2)] != [b.tolist() for b in batches]


def test_partial_epoch_takes_the_first_share_of_the_batches():
    pieces = pieces_of([50] * 100)
    whole, half = epoch_batches(pieces, 10, seed=3), epoch_batches(pieces, 10, seed=3, fraction=0.45)
    assert len(half) == batch_count(pieces, 10, 0.45) == 5 and [b.tolist() for b in half] == [b.tolist() for b in whole[:5]]


def test_gather_pads_to_the_bucket():
    pieces = pieces_of([26, 20])
    out = gather(pieces, np.array([1, 0]))
    assert out.shape == (2, 26) and (out[0, 20:] == PAD).all() and out[0, :20].tolist() == list(range(26, 46))
    assert out[1].tolist() == list(range(26))


def test_fixed_pieces_are_the_rows():
    array = np.arange(12).reshape(3, 4)
    pieces = fixed_pieces(array)
    assert gather(pieces, np.array([2, 0])).tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
