"""Keeping a plan: each line holds its keyword, a word is written whole, the meter is never broken for it."""

import numpy as np
import pytest
import torch

from tangshi.data.conditions import NO_KEYWORD
from tangshi.data.corpus import poem_lines
from tangshi.forms import BY_NAME, FORMS
from tangshi.judge.meter import judge
from tangshi.writing.decode import Request, write_poems
from tangshi.writing.keep_keywords import KeywordKeeper, starts

WUJUE = BY_NAME["五绝"]
STEPS = WUJUE.tokens + 1
A, B, X, Y = 10, 11, 12, 13  # keyword characters, and one that is none


def keeper(plan: list[tuple[int, int]], fits: np.ndarray | None = None) -> KeywordKeeper:
    """One 五绝 told `plan`, a (first, second) pair of ids a line; every character fits everywhere unless told."""
    chars = np.full((1, STEPS, 2), NO_KEYWORD)
    for line, pair in enumerate(plan):
        chars[0, line * 6 : line * 6 + 5] = pair
    return KeywordKeeper(chars, np.ones((1, STEPS, 2), bool) if fits is None else fits, WUJUE, torch.device("cpu"))


def run(keep: KeywordKeeper, wants: list[int]) -> tuple[list[int], list[list[int]], list[int]]:
    """Write `wants` (a line of five) through the keeper: what was written, banned at each step, and forced."""
    written, banned, forced = [], [], []
    for k, want in enumerate(wants):
        banned.append([c for c in keep.banned(k)[0].tolist() if c != NO_KEYWORD])
        due = int(keep.due(k, None)[0])
        forced.append(due)
        token = due if due != NO_KEYWORD else want
        keep.wrote(k, torch.tensor([token]))
        written.append(token)
    return written, banned, forced


def test_a_character_is_left_to_the_poet_until_its_last_place():
    assert run(keeper([(A, NO_KEYWORD)]), [X, A, X, X, X])[0] == [X, A, X, X, X]  # placed by the poet: no force
    written, banned, forced = run(keeper([(A, NO_KEYWORD)]), [X] * 5)
    assert written == [X, X, X, X, A] and forced == [NO_KEYWORD] * 4 + [A] and banned == [[]] * 5
    fits = np.ones((1, STEPS, 2), bool)
    fits[0, 3:5, 0] = False  # the meter forbids it at places 3 and 4: its deadline is place 2
    assert run(keeper([(A, NO_KEYWORD)], fits), [X] * 5)[0] == [X, X, A, X, X]


def test_a_word_is_written_whole_and_its_characters_not_apart():
    written, banned, forced = run(keeper([(A, B)]), [X, A, X, X, X])
    assert written == [X, A, B, X, X] and forced[2] == B  # begun by the poet, finished at once
    assert banned[0] == [B] and banned[2] == []  # the second alone is banned until the word is written
    written, banned, _ = run(keeper([(A, B)]), [X] * 5)
    assert written == [X, X, X, A, B]  # the last place it may begin: 3
    assert banned[4] == [] and all(B in b for b in banned[:3]) and all(A not in b for b in banned[:4])
    fits = np.ones((1, STEPS, 2), bool)
    fits[0, 2, 1] = False  # B may not stand at place 2: the word may not begin at place 1
    assert A in run(keeper([(A, B)], fits), [X] * 5)[1][1]
    nowhere = np.zeros((1, STEPS, 2), bool)  # a line with no place for its word bans and forces nothing
    assert run(keeper([(A, B)], nowhere), [X] * 5) == ([X] * 5, [[]] * 5, [NO_KEYWORD] * 5)


def test_a_later_lines_keyword_waits_for_its_line():
    _, banned, _ = run(keeper([(A, NO_KEYWORD), (B, NO_KEYWORD), (A, X)]), [Y] * 12)
    assert all(set(b) == {B, X} for b in banned[:5])  # line 1 bans lines 2 and 3's, less its own 10
    assert all(set(b) == {A, X} for b in banned[6:11])  # line 2: line 3's word, whose first is also an earlier line's
    assert run(keeper([(A, NO_KEYWORD), (A, NO_KEYWORD)]), [Y] * 5)[1] == [[]] * 5  # the same keyword twice: no ban


def test_starts_never_join_a_word_across_lines():
    chars = np.full((1, STEPS, 2), NO_KEYWORD)
    chars[0, 0:5], chars[0, 6:11] = (A, B), (A, B)
    begins = starts(chars, np.ones((1, STEPS, 2), bool))
    assert begins[0, :6].tolist() == [True] * 4 + [False] * 2 and begins[0, 6:12].tolist() == [True] * 4 + [False] * 2


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_the_poet_keeps_every_keyword_in_meter(tiny_models, form):
    poet, vocab, keywords = tiny_models["poets"]["poet"], tiny_models["poet_vocab"], tiny_models["keywords"]
    words = [w for w in keywords.words if len(w) == 2][:form.lines // 2] + [w for w in keywords.words if len(w) == 1][:form.lines]
    plans = [[words[(p + line) % len(words)] for line in range(form.lines)] for p in range(6)]
    written = write_poems(poet, vocab, [Request(keywords=p) for p in plans], mode="meter",
                          constraints=tiny_models["poet_constraints"], seed=3, form=form, repeat_penalty=2.0)
    for plan, w in zip(plans, written):
        assert judge(w.poem, tiny_models["lexicon"], form=form).meter_valid, w.poem
        for word, line in zip(plan, poem_lines(w.poem)):
            assert word in line, (plan, w.poem)
            if len(word) == 2:  # the word's characters first stand as the word
                assert line.find(word) == min(line.find(c) for c in word if c in line), (word, line)
        for n, (word, line) in enumerate(zip(plan, poem_lines(w.poem))):  # and first in their own line
            earlier = "".join(poem_lines(w.poem)[:n])
            assert not set(word) & set(earlier) - set("".join(plan[:n])), (plan, w.poem)
    plain = write_poems(poet, vocab, [Request(keywords=p) for p in plans], mode="none", seed=3, form=form)
    kept = [word in line for p, w in zip(plans, plain) for word, line in zip(p, poem_lines(w.poem))]
    assert not all(kept)  # written freely, the poet misses some: the keeping is the decoder's


def test_a_given_character_stands_and_the_keyword_still_finds_a_place(tiny_models):
    poet, vocab, keywords = tiny_models["poets"]["poet"], tiny_models["poet_vocab"], tiny_models["keywords"]
    word = next(w for w in keywords.words if len(w) == 2)
    acrostic = "".join(c for c in "春江花月夜思故乡" if c in vocab and c not in word)[:4]
    written = write_poems(poet, vocab, [Request(acrostic=acrostic, keywords=[word] * 4)], mode="meter",
                          constraints=tiny_models["poet_constraints"], seed=1, form=WUJUE)[0]
    lines = poem_lines(written.poem)
    assert "".join(line[0] for line in lines) == acrostic
    assert judge(written.poem, tiny_models["lexicon"], form=WUJUE).meter_valid
    assert sum(word in line for line in lines) >= 3, lines  # a line whose pattern leaves no place may miss it
