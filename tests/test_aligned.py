"""The aligned input (issue 22): a couplet's second line reads the first line's character at its place."""

import numpy as np
import pytest
import torch

from tangshi.errors import TangshiError
from tangshi.forms import FORMS, BY_NAME, form_token_id
from tangshi.models.lstm import NO_ALIGNED, PoetLSTM, aligned_inputs, aligned_source
from tangshi.models.poet import ModelConfig
from tangshi.training.perplexity import line_role_masks, line_role_perplexities
from tangshi.writing.decode import Request, write_poems

V = 60  # ids 0-3 are * $ ， 。 in every dictionary; 4.. are characters


def poem_ids(form, rng) -> list[int]:
    """A start token, the lines of `form` (random characters, `，` after odd lines and `。` after even ones), `$`."""
    ids = [form_token_id(V, form)]
    for line in range(form.lines):
        ids += rng.integers(4, V, form.chars).tolist() + [2 if line % 2 == 0 else 3]
    return ids + [1]


def expected_aligned(ids: list[int], chars: int) -> list[int]:
    """By hand: input i predicts poem token i = ids[i+1]; on a second line it reads ids[i+1 - (chars+1)]."""
    out = []
    for i in range(len(ids) - 1):
        line, col = divmod(i, chars + 1)
        out.append(ids[i + 1 - (chars + 1)] if line % 2 == 1 and col < chars else NO_ALIGNED)
    return out


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.key)
def test_each_second_line_character_reads_its_partner(form):
    rng = np.random.default_rng(0)
    rows = [poem_ids(form, rng) for _ in range(3)]
    got = aligned_inputs(torch.tensor(rows).T[:-1]).T.tolist()
    assert got == [expected_aligned(r, form.chars) for r in rows]
    # the 4th character of line 2 reads the 4th of line 1, and nothing of the first line reads anything
    row = rows[0]
    c = form.chars
    assert got[0][(c + 1) + 3] == row[1 + 3]
    assert all(a == NO_ALIGNED for a in got[0][:c + 1])
    assert got[0][2 * c + 1] == NO_ALIGNED  # the second line's punctuation
    for k in range(len(row) - 1):  # the writer's rule, one position at a time, is the same
        source = aligned_source(c, k)
        assert got[0][k] == (NO_ALIGNED if source is None else row[source + 1])


def test_five_and_seven_character_lines_padded_in_one_batch_and_verse_pieces():
    rng = np.random.default_rng(1)
    five, seven = poem_ids(BY_NAME["五绝"], rng), poem_ids(BY_NAME["七律"], rng)
    piece = [3] + seven[1:]  # a verse piece after the first starts with the `。` that ended the one before
    width = len(seven)
    batch = [r + [0] * (width - len(r)) for r in (five, seven, piece)]  # PAD is read as 0 (training clamps it)
    got = aligned_inputs(torch.tensor(batch).T[:-1]).T.tolist()
    assert got[0][: len(five) - 1] == expected_aligned(five, 5)
    assert got[1] == expected_aligned(seven, 7)
    assert got[2] == got[1]


def test_no_punctuation_means_no_alignment():
    ids = torch.randint(4, V, (20, 2))
    assert (aligned_inputs(ids) == NO_ALIGNED).all()


def aligned_net(seed=0) -> PoetLSTM:
    torch.manual_seed(seed)
    net = PoetLSTM(V, 8, 16, 1, 0.0, "torch", "none", None, 1.0, False, len(FORMS), "adaptive", 20, aligned=True)
    with torch.no_grad():
        net.align.weight.normal_()
    return net.eval()


def test_the_aligned_character_changes_second_lines_alone():
    form = BY_NAME["五律"]
    ids = torch.tensor([poem_ids(form, np.random.default_rng(2))]).T
    net = aligned_net()
    with torch.no_grad():
        with_aligned, _ = net(ids[:-1], targets=ids[1:])
        net.align.weight.zero_()  # the map starts at zero: a fresh poet reads as the plain one
        plain, _ = net(ids[:-1], targets=ids[1:])
    changed = (with_aligned - plain).abs()[:, 0] > 1e-6
    # a second line's characters change first, and what follows them carries the change in the state
    first_changed = int(changed.nonzero()[0])
    assert first_changed == form.chars + 1
    assert not changed[: form.chars + 1].any()


@pytest.mark.parametrize("key", ["wujue", "qilv"])
def test_writing_step_by_step_matches_training_forward(key):
    """The right character reaches the right position when writing: step() with the decoder's aligned ids
    gives the logits forward() gives, with and without the input-projection table."""
    form = BY_NAME[key]
    ids = torch.tensor([poem_ids(form, np.random.default_rng(3))]).T
    net = aligned_net()
    with torch.no_grad():
        scores, _ = net(ids[:-1])
        for steps in (1, 10_000):
            state = net.writing_state(1, steps)
            for k in range(ids.shape[0] - 1):
                source = aligned_source(form.chars, k)
                aligned = torch.tensor([NO_ALIGNED if source is None else int(ids[source + 1, 0])])
                logits, state = net.write_step(ids[k], state, aligned)
                assert torch.allclose(logits, scores[k], atol=1e-5), (steps, k)


@pytest.mark.parametrize("form_name", ["五绝", "七律"])
def test_the_decoder_passes_each_written_first_line_character(tiny_models, form_name):
    """write_poems hands the poet, at each step of a second line, the character it wrote at that place of the
    line before, and NO_ALIGNED elsewhere."""
    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    assert poet.aligned
    form = BY_NAME[form_name]
    seen = []
    real_step = poet.step

    def spy(x, state, aligned=None):
        seen.append(aligned.clone())
        return real_step(x, state, aligned)

    poet.step = spy
    try:
        written = write_poems(poet, vocab, [Request(), Request()], mode="form", form=form, seed=4)
    finally:
        del poet.step
    for b, w in enumerate(written):
        tokens = vocab.encode(w.poem)[1:]  # the poem's tokens after the start (encode adds `*` and `$`)
        for k in range(form.tokens):
            source = aligned_source(form.chars, k)
            assert int(seen[k][b]) == (NO_ALIGNED if source is None else tokens[source]), (b, k)


def test_config_refuses_the_aligned_input_where_it_cannot_go():
    with pytest.raises(TangshiError, match="NumPy"):
        ModelConfig("numpy", 1, 8, 0.0, aligned=True)
    with pytest.raises(TangshiError, match="aligned must be true or false"):
        ModelConfig("torch", 1, 8, 0.0, aligned="yes")


def test_line_roles_of_a_wulv_and_a_wujue():
    wulv = line_role_masks(BY_NAME["五律"], BY_NAME["五律"].tokens + 1)
    assert [int(m.sum()) for m in wulv.values()] == [20, 20, 10]
    assert wulv["middle_second"][3 * 6 : 3 * 6 + 5].all() and wulv["middle_second"][5 * 6 : 5 * 6 + 5].all()
    assert not wulv["first"][5] and not wulv["second"][48]  # punctuation and `$` are no line's characters
    wujue = line_role_masks(BY_NAME["五绝"], BY_NAME["五绝"].tokens + 1)
    assert int(wujue["middle_second"].sum()) == 0
    nll = np.zeros((2, 25))
    nll[:, wujue["second"]] = np.log(10.0)
    got = line_role_perplexities([nll], [BY_NAME["五绝"]])
    assert got["first"] == pytest.approx(1.0) and got["second"] == pytest.approx(10.0) and "middle_second" not in got


def test_a_trained_aligned_poet_scores_as_it_writes(tiny_models):
    """token_nll (training's forward) and the decoder's chosen NLL agree on a written 七律 with the aligned input,
    also where the repeat penalty and the unigram discount steer the sampling (the NLL stays the model's own)."""
    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    form = BY_NAME["七律"]
    unigram = np.log(np.random.default_rng(0).dirichlet(np.ones(len(vocab))))
    for steering in ({}, {"repeat_penalty": 2.0, "discount": 0.5, "unigram": unigram}):
        written = write_poems(poet, vocab, [Request()], mode="form", form=form, seed=5, **steering)[0]
        ids = np.array([[poet.start_id(form)] + vocab.encode(written.poem)[1:]])
        nll = poet.token_nll(ids)[0]
        chars = [k for k in range(form.tokens) if k % (form.chars + 1) < form.chars]
        assert nll[chars].sum() == pytest.approx(written.chosen_nll, rel=1e-4)
