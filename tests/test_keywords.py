"""A keyword a line: the dictionary, each line's keyword, and a poet told them — in training and step by step."""

import numpy as np
import pytest
import torch

from tangshi.data.batching import cut_pieces
from tangshi.data.conditions import KEYWORD_CHARS, LINE_SLOTS, NO_KEYWORD, Conditions, keyword_ids
from tangshi.data.keywords import Keywords, line_candidates, real_scores, word_spans
from tangshi.models.lstm import PoetLSTM, line_numbers


def test_word_spans_are_where_a_line_reads_a_word():
    assert word_spans(5) == [(0, 2), (2, 4), (3, 5)]
    assert word_spans(7) == [(0, 2), (2, 4), (4, 6), (5, 7)]
    assert line_candidates("秋风吹故人", {"秋风", "故人"}) == ["秋风", "故人", *"秋风吹故人"]


def test_real_scores_put_things_above_particles(tiny_models):
    scores = real_scores(tiny_models["parallel"])
    things = [scores[c] for c in "山水风月云" if c in scores]
    particles = [scores[c] for c in "不无何自亦" if c in scores]
    assert things and particles and np.mean(things) > np.mean(particles)


def test_fixture_dictionary_names_things_words_first_and_keys_most_lines(tiny_models, fixture_corpus):
    keywords = tiny_models["keywords"]
    lengths = [len(w) for w in keywords.words]
    assert lengths == sorted(lengths, reverse=True) and 1 in lengths  # words, then characters
    assert not set(keywords.words) & set("不无何亦犹")  # 虚字 are never keywords
    lines = [line for _, poem in fixture_corpus.large.dev for line in poem.split("，") + poem.split("。")]
    dev = [t for _, t in fixture_corpus.large.dev]
    told = [w for poem in dev for w in keywords.of_poem(poem)]
    assert sum(w is not None for w in told) / len(told) > 0.8
    for poem in dev[:20]:  # a line's keyword is in the line, and the best-ranked entry it holds
        for line, word in zip(poem.replace("。", "，").split("，"), keywords.of_poem(poem)):
            if word is not None:
                assert word in line
                assert all(keywords.rank[word] <= keywords.rank[w] for w in line_candidates(line, keywords.rank)
                           if w in keywords.rank)
    assert lines


def test_keywords_round_trip_and_refuse_a_missing_file(tmp_path):
    words = Keywords(["秋风", "山"], [2.0, 1.0], [30, 90])
    words.save(tmp_path / "k.json")
    again = Keywords.load(tmp_path / "k.json")
    assert again.words == ["秋风", "山"] and again.of_line("秋风满空山") == "秋风"
    with pytest.raises(Exception, match="dvc repro keywords"):
        Keywords.load(tmp_path / "none.json")


def model(slots=LINE_SLOTS, blank=0.0):
    torch.manual_seed(0)
    net = PoetLSTM(30, 8, 16, 1, 0.0, embedding="none", poets=2, title_words=3, keyword_slots=slots, keyword_blank=blank)
    with torch.no_grad():  # a trained map: the keyword's vector is not zero
        net.keyword.weight.normal_(0, 1.0)
        net.condition.weight.normal_(0, 0.1)
    return net.eval()


def poem_ids(chars=5, lines=4):
    """`*`, lines of `chars` characters (ids 10…) each ended by `，`/`。`, `$`: (T, 1)."""
    ids = [0]
    for line in range(lines):
        ids += [10 + (line * chars + k) % 15 for k in range(chars)] + [2 if line % 2 == 0 else 3]
    return torch.tensor(ids + [1])[:, None]


def test_line_numbers_count_marks_after_the_start():
    ids = poem_ids()
    line = line_numbers(ids)[:, 0].tolist()
    assert line == [0] * 6 + [1] * 6 + [2] * 6 + [3] * 6 + [4, 4]  # input i predicts token i+1: a mark is its line's
    piece = torch.tensor([3, 10, 11, 2, 12])[:, None]  # a verse piece starting with the 。 before
    assert line_numbers(piece)[:, 0].tolist() == [0, 0, 0, 1, 1]


def test_a_line_keyword_reaches_exactly_the_inputs_of_its_line_in_training():
    net = model()
    table = Conditions(["甲", "乙"], [5, 5], ["秋", "夜", "山"], 2, LINE_SLOTS)
    ids = poem_ids()
    inputs = {}
    net.lstm.register_forward_hook(lambda m, args, out: inputs.__setitem__("x", args[0].detach().clone()))
    told = np.array([table.encode("秋", "甲", np.array([[20, 21], [NO_KEYWORD] * 2, [22, NO_KEYWORD]]))])
    net(ids, condition=torch.as_tensor(told))
    plan = inputs["x"]
    net(ids, condition=torch.as_tensor(table.blanked(told, keywords=True)))
    diff = (plan - inputs["x"]).abs().sum(-1)[:, 0] > 1e-6
    line = line_numbers(ids)[:, 0]
    assert diff.tolist() == [(k in (0, 2)) for k in line.tolist()]  # lines 0 and 2 told, line 1 told nothing


def test_step_by_step_writing_reads_the_same_keywords_as_training():
    net = model()
    table = Conditions(["甲", "乙"], [5, 5], ["秋", "夜", "山"], 2, LINE_SLOTS)
    ids = torch.cat([poem_ids(), poem_ids()], 1)
    rows = torch.as_tensor(np.array([table.encode("秋夜", "乙", np.array([[20, 21], [22, NO_KEYWORD], [23, 24], [25, 26]])),
                                     table.encode(None, None, np.array([[NO_KEYWORD] * 2, [27, 28]]))]))
    whole, _ = net(ids[:-1], condition=rows)
    for steps in (1, 10_000):  # the plain step and the projected table (a batch feeding more tokens than the dictionary)
        state = net.writing_state(2, steps, rows)
        for t in range(len(ids) - 1):
            logits, state = net.write_step(ids[t], state)
            assert torch.allclose(logits, whole[t], atol=1e-5), (steps, t)


def test_training_blanks_a_share_of_lines_each_drawn_apart():
    net = model(blank=0.5).train()
    table = Conditions(["甲"], [5], ["秋"], 1, LINE_SLOTS)
    rows = torch.as_tensor(np.array([table.encode(None, None, np.array([[20, 21]] * 8))] * 500))
    told = net.keyword_vectors(rows)[:, :8].abs().sum(-1) > 0
    assert 0.45 < told.float().mean() < 0.55
    assert told.any(1).all() is not None and 0 < told.all(1).float().mean() < 0.05  # lines apart, not whole poems


def test_cut_pieces_tell_each_piece_its_own_lines():
    # a verse poem of 20 lines of 5: pieces start at lines 0, 8 and 16
    lines = 20
    ids = poem_ids(5, lines)[:, 0].numpy().astype(np.int32)
    offsets = np.array([0, len(ids)])
    plan = np.stack([np.arange(lines) + 100, np.full(lines, NO_KEYWORD)], 1)
    table = Conditions([], [], [], 1, LINE_SLOTS)
    base = np.array([table.encode(None, None, plan)])
    pieces = cut_pieces(ids, offsets, base, lambda poem, first: table.with_keywords(base[poem], plan[first:]))
    firsts = [int(row[2]) - 100 for row in pieces.conditions]
    assert firsts == [0, 8, 16]
    for start, row in zip(pieces.starts, pieces.conditions):
        piece = ids[start : start + 49]
        told = row[2:].reshape(LINE_SLOTS, KEYWORD_CHARS)[:, 0]
        held = int(np.isin(piece[1:], (2, 3)).sum())  # the lines the piece writes
        assert told[:held].tolist() == list(range(told[0], told[0] + held))  # the k-th is told the poem's line first + k


def test_keyword_ids_refuse_nothing_and_pad_single_characters(tiny_models):
    vocab = tiny_models["poet_vocab"]
    word = tiny_models["keywords"].words[0]
    ids = keyword_ids([word, None, word[0]], vocab)
    assert ids.shape == (3, 2) and ids[1].tolist() == [NO_KEYWORD] * 2 and ids[2, 1] == NO_KEYWORD
