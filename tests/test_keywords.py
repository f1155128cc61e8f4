"""A keyword a line: the dictionary, each line's keyword, and a poet told them — in training and step by step."""

import numpy as np
import pytest
import torch

from tangshi.data.conditions import LINE_SLOTS, NO_KEYWORD, Conditions, keyword_ids
from tangshi.data.corpus import poem_lines
from tangshi.data.keywords import Keywords, line_candidates, real_scores, word_spans
from tangshi.errors import TangshiError
from tangshi.models.lstm import PoetLSTM
from tangshi.models.plan_head import line_numbers


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
    dev = [t for _, t in fixture_corpus.large.dev]
    told = [w for poem in dev for w in keywords.of_poem(poem)]
    assert sum(w is not None for w in told) / len(told) > 0.8
    for poem in dev[:20]:  # a line's keyword is in the line, and the best-ranked entry it holds
        for line, word in zip(poem_lines(poem), keywords.of_poem(poem)):
            if word is not None:
                assert word in line
                assert all(keywords.rank[word] <= keywords.rank[w] for w in line_candidates(line, keywords.rank)
                           if w in keywords.rank)


def test_keywords_round_trip_and_refuse_a_missing_file(tmp_path):
    words = Keywords(["秋风", "山"], [2.0, 1.0], [30, 90])
    words.save(tmp_path / "k.json")
    again = Keywords.load(tmp_path / "k.json")
    assert again.words == ["秋风", "山"] and again.of_line("秋风满空山") == "秋风"
    with pytest.raises(Exception, match="dvc repro keywords"):
        Keywords.load(tmp_path / "none.json")


def model(slots=LINE_SLOTS):
    torch.manual_seed(0)
    net = PoetLSTM(30, 8, 16, 1, 0.0, embedding="none", poets=2, title_words=3, keyword_slots=slots)
    with torch.no_grad():  # a trained head: the boosts are not zero
        net.plan.out.weight.normal_(0, 2.0)
        net.plan.out.bias.fill_(1.0)
        net.condition.weight.normal_(0, 0.1)
    return net.eval()


def poem_ids(chars=5, lines=4):
    """`*`, lines of `chars` characters (ids 10…) each ended by `，`/`。`, `$`: (T, 1)."""
    ids = [0]
    for line in range(lines):
        ids += [10 + (line * chars + k) % 15 for k in range(chars)] + [2 if line % 2 == 0 else 3]
    return torch.tensor(ids + [1])[:, None]


TABLE = Conditions(["甲", "乙"], [5, 5], ["秋", "夜", "山"], 2, LINE_SLOTS)


def test_line_numbers_count_marks_after_the_start():
    ids = poem_ids()
    line = line_numbers(ids)[:, 0].tolist()
    assert line == [0] * 6 + [1] * 6 + [2] * 6 + [3] * 6 + [4, 4]  # input i predicts token i+1: a mark is its line's
    piece = torch.tensor([3, 10, 11, 2, 12])[:, None]  # a verse piece starting with the 。 before
    assert line_numbers(piece)[:, 0].tolist() == [0, 0, 0, 1, 1]


def test_a_line_keyword_changes_exactly_the_predictions_of_its_line():
    net, ids = model(), poem_ids()
    told = np.array([TABLE.encode("秋", "甲", np.array([[20, 21], [NO_KEYWORD] * 2, [22, NO_KEYWORD]]))])
    planned, _ = net(ids, condition=torch.as_tensor(told))
    plain, _ = net(ids, condition=torch.as_tensor(TABLE.blanked(told, keywords=True)))
    changed = (planned - torch.log_softmax(plain, -1)).abs().amax(-1)[:, 0] > 1e-5
    line = line_numbers(ids)[:, 0]
    assert changed.tolist() == [(k in (0, 2)) for k in line.tolist()]  # lines 0 and 2 told, line 1 told nothing
    boosted = planned[line == 0][:, 0, 20] - torch.log_softmax(plain, -1)[line == 0][:, 0, 20]
    assert (boosted.abs() > 1e-4).all()  # the keyword's own character moves


def test_writing_step_by_step_reads_the_plan_as_training_does():
    net = model()
    ids = torch.cat([poem_ids(), poem_ids()], 1)
    ids[3, 0] = 20  # line 0 of poem 0 writes its keyword's first character: the head sees it written
    rows = torch.as_tensor(np.array([TABLE.encode("秋夜", "乙", np.array([[20, 21], [22, NO_KEYWORD], [23, 24], [25, 26]])),
                                     TABLE.encode(None, None, np.array([[NO_KEYWORD] * 2, [27, 28]]))]))
    whole, _ = net(ids[:-1], condition=rows)
    for steps in (1, 10_000):  # the plain step and the projected table (a batch feeding more tokens than the dictionary)
        state = net.writing_state(2, steps, rows)
        for t in range(len(ids) - 1):
            logits, state = net.write_step(ids[t], state)
            assert torch.allclose(torch.log_softmax(logits, -1), whole[t], atol=1e-5), (steps, t)
    nll, _ = net(ids[:-1], targets=ids[1:], condition=rows)  # the NLL it trains and scores by is that distribution's
    assert torch.allclose(nll, -whole.gather(-1, ids[1:, :, None]).squeeze(-1), atol=1e-5)


def test_the_plan_never_teaches_the_language_model():
    """Told a plan or told nothing, every parameter but the plan head's gets the same gradient; the head gets one."""
    net = model().train()
    ids = torch.cat([poem_ids(), poem_ids(7, 3)], 1)  # lines of 5 and of 7, 26 tokens each
    rows = torch.as_tensor(np.array([TABLE.encode("秋", "甲", np.array([[10, 11], [16, NO_KEYWORD], [22, 23], [12, 13]]))] * 2))
    grads = []
    for told in (rows, torch.as_tensor(TABLE.blanked(rows.numpy(), keywords=True))):
        net.zero_grad()
        torch.manual_seed(1)  # the same blanks of title and poet both times
        nll, _ = net(ids[:-1], targets=ids[1:], condition=told)
        nll.sum().backward()
        grads.append({n: None if p.grad is None else p.grad.clone() for n, p in net.named_parameters()})
    for name, grad in grads[0].items():
        if name.startswith("plan."):
            assert grad is not None and grad.abs().sum() > 0, name
            assert grads[1][name] is None or grads[1][name].abs().sum() == 0, name
        elif grad is not None:
            assert torch.allclose(grad, grads[1][name], atol=1e-6), name


def test_keyword_ids_pad_single_characters_and_lines_told_nothing(tiny_models):
    vocab = tiny_models["poet_vocab"]
    word = tiny_models["keywords"].words[0]
    ids = keyword_ids([word, None, word[0]], vocab)
    assert ids.shape == (3, 2) and ids[1].tolist() == [NO_KEYWORD] * 2 and ids[2, 1] == NO_KEYWORD


def test_planner_is_deterministic_honours_given_keywords_and_refuses_unknown_ones(tiny_models):
    planner, words = tiny_models["planner"], tiny_models["keywords"].words
    plan = planner.plan(8, [words[3], None, None, words[5]], title="秋夜", seed=7)
    assert plan == planner.plan(8, [words[3], None, None, words[5]], title="秋夜", seed=7)  # the same for a seed
    assert len(plan) == 8 and plan[0] == words[3] and plan[3] == words[5] and len(set(plan)) == 8
    planned = plan[1:3] + plan[4:]
    assert all(w in planner.keywords and planner.df[planner.keywords.rank[w]] >= planner.floor for w in planned)
    for i, w in enumerate(planned):  # one thing a line: no planned keyword shares a character with another
        assert not set(w) & set("".join(x for x in plan if x != w)), plan
    assert len({tuple(planner.plan(4, seed=s)) for s in range(6)}) > 1  # told nothing: plans differ by seed
    with pytest.raises(TangshiError, match="not in the keyword dictionary: try ") as err:
        planner.plan(4, ["龘" + words[0][0]])
    assert words[0] in str(err.value) and "\n" not in str(err.value)  # the closest share a character
    with pytest.raises(TangshiError, match="at most 4 keywords"):
        planner.plan(4, words[:5])


def test_planner_floor_and_prior_change_what_is_planned(tiny_models):
    from tangshi.writing.plan import Planner

    base, keywords = tiny_models["planner"], tiny_models["keywords"]
    common = Planner(keywords, base.together, base.df, base.poems, floor=int(np.median(base.df)) + 1)
    plans = [w for s in range(10) for w in common.plan(4, title="秋夜", seed=s)]
    assert all(common.df[keywords.rank[w]] >= common.floor for w in plans)
    by_pmi = Planner(keywords, base.together, base.df, base.poems, prior=0.0)
    by_probability = Planner(keywords, base.together, base.df, base.poems, prior=1.0)
    df = lambda p: np.mean([p.df[keywords.rank[w]] for s in range(10) for w in p.plan(4, title="秋夜", seed=s)])  # noqa: E731
    assert df(by_probability) > df(by_pmi)  # the prior leans toward the common


def test_planner_round_trips_and_refuses_another_dictionary(tiny_models, tmp_path):
    from tangshi.writing.plan import Planner

    planner = tiny_models["planner"]
    planner.save(tmp_path / "p.npz")
    again = Planner.load(planner.keywords, tmp_path / "p.npz")
    assert (again.floor, again.prior) == (planner.floor, planner.prior)
    assert again.plan(4, title="春山", seed=2) == planner.plan(4, title="春山", seed=2)
    with pytest.raises(TangshiError, match="another dictionary"):
        Planner.load(Keywords(["山"], [1.0], [5]), tmp_path / "p.npz")
    with pytest.raises(TangshiError, match="dvc repro keywords"):
        Planner.load(planner.keywords, tmp_path / "none.npz")


@pytest.mark.parametrize("output", ["full", "adaptive"])
def test_log_probs_of_a_few_tokens_match_the_whole_table(output):
    torch.manual_seed(3)
    net = PoetLSTM(40, 8, 16, 1, 0.0, embedding="none", output=output, shortlist=10).eval()
    y = torch.randn(6, 16)
    chars = torch.tensor([[0, 5], [9, 10], [11, 39], [3, 3], [25, 2], [10, 9]])
    whole = torch.log_softmax(net.head(y).float(), -1)
    assert torch.allclose(net.log_probs_of(y, chars), whole.gather(-1, chars), atol=1e-5)
