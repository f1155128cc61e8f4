"""Issue 21: a poet told each poem's poet and title words — the table, the vector, its dropout, training and writing."""

import numpy as np
import pytest
import torch

from tangshi.data.batching import cut_pieces, fixed_pieces, gather_conditions
from tangshi.data.conditions import (
    ANY_POET, LINE_SLOTS, NO_KEYWORD, NO_TITLE, ConditionConfig, Conditions, build_conditions, keyword_ids,
)
from tangshi.data.titles import Meta
from tangshi.data.vocab import build_poet_vocab
from tangshi.errors import TangshiError
from tangshi.forms import BY_NAME
from tangshi.models.lstm import PoetLSTM
from tangshi.models.poet import ModelConfig, build_poet
from tangshi.writing.decode import Request, write_poems

POEMS = ["秋夜山中月，寒林送远人。", "春风吹柳色，夜雨入江城。", "登高望远山，秋水送孤舟。"]
METAS = [Meta("秋夜寄丘员外", "韦应物"), Meta("春夜喜雨", "杜甫"), Meta("登高二首 一", "杜甫"), Meta("送友人", "李白"),
         Meta("秋兴八首 三", "杜甫"), Meta("", "")]


@pytest.fixture
def vocab():
    return build_poet_vocab(POEMS + [m.title + m.author for m in METAS], 1, 42)


def test_table_knows_poets_with_enough_poems_and_the_commonest_title_words(vocab):
    table = build_conditions(ConditionConfig(min_poems=2, title_chars=3, title_words=4, blank=0.25), METAS, vocab)
    assert table.poets == ["杜甫"] and table.poems == [3]
    assert set(table.words) <= {c for m in METAS for c in m.title} and len(table.words) == 4
    assert not set(table.words) & set("一二三八首")  # numbers count poems and say nothing of a subject
    assert table.words[0] == "秋" or table.words[0] == "夜"  # in two titles each, the most of any
    row = table.encode("秋夜秋夜", "杜甫")
    assert row[0] == 1 and len(row) == table.width == 4
    assert [table.words[i] for i in row[1:] if i != NO_TITLE] == [c for c in "秋夜" if c in table.words]
    assert table.encode(None, "王维")[0] == ANY_POET  # an unknown poet shares the row of any poet
    assert table.encode(None, None)[1:] == [NO_TITLE] * 3


def test_table_refuses_an_unknown_poet_naming_close_ones_and_a_title_it_cannot_read(vocab):
    table = Conditions(["杜甫", "杜牧", "李白"], [900, 500, 400], list("秋夜送"), 4)
    with pytest.raises(TangshiError, match="杜甫|杜牧") as err:
        table.check_poet("杜子美")
    assert "\n" not in str(err.value) and "tangshi poets" in str(err.value)
    with pytest.raises(TangshiError, match="title"):
        table.check_title("黄鹤楼")
    table.check_title("秋 月 思乡")  # keywords: 秋 is enough
    table.check_poet(None)


def test_blanked_takes_away_what_it_says(vocab):
    table = Conditions(["杜甫"], [900], list("秋夜送"), 3)
    rows = np.array([[3, 10, 11, NO_TITLE]])
    assert table.blanked(rows, title=True, poet=False).tolist() == [[3, NO_TITLE, NO_TITLE, NO_TITLE]]
    assert table.blanked(rows, title=False, poet=True).tolist() == [[ANY_POET, 10, 11, NO_TITLE]]
    assert rows.tolist() == [[3, 10, 11, NO_TITLE]]  # a copy
    planned = Conditions(["杜甫"], [900], list("秋夜送"), 3, LINE_SLOTS)
    row = np.array([planned.encode("秋夜", "杜甫", np.array([[5, 6], [7, NO_KEYWORD]]))])
    assert row.shape == (1, 4 + 2 * LINE_SLOTS) and row[0, 4:8].tolist() == [5, 6, 7, NO_KEYWORD]
    assert (row[0, 8:] == NO_KEYWORD).all()
    only_plan = planned.blanked(row, title=True, poet=True)
    assert only_plan[0, :4].tolist() == [ANY_POET, NO_TITLE, NO_TITLE, NO_TITLE] and only_plan[0, 4:8].tolist() == [5, 6, 7, NO_KEYWORD]
    assert (planned.blanked(row, keywords=True)[0, 4:] == NO_KEYWORD).all()
    assert planned.blanked(row, keywords=True)[0, :4].tolist() == row[0, :4].tolist()
    window = planned.with_keywords(row[0], np.array([[5, 6], [7, NO_KEYWORD], [8, 9]])[1:])
    assert window[4:8] == [7, NO_KEYWORD, 8, 9]


def test_config_refusals():
    with pytest.raises(TangshiError, match="blank"):
        ConditionConfig(blank=1.0)
    with pytest.raises(TangshiError, match="min_poems"):
        ConditionConfig(min_poems=0)
    with pytest.raises(TangshiError, match="NumPy"):
        ModelConfig("numpy", 1, 8, 0.0, condition={"min_poems": 2})
    with pytest.raises(TangshiError, match="condition"):
        ModelConfig("torch", 1, 8, 0.0, condition={"poets": 2})
    with pytest.raises(TangshiError, match="table"):
        build_poet(ModelConfig("torch", 1, 8, 0.0, condition={}), np.zeros((10, 4), np.float32), 0)


def told_model(blank=0.0, vocab_size=20, poets=3):
    torch.manual_seed(0)
    model = PoetLSTM(vocab_size, 8, 16, 1, 0.0, "torch", "none", None, 1.0, False, 4, "full", poets=poets, title_words=10, blank=blank)
    return model


def test_a_fresh_conditioned_poet_is_the_plain_poet_and_training_makes_the_condition_count():
    model = told_model().eval()
    ids = torch.randint(0, 20, (10, 3))
    rows = torch.tensor([[1, 5, 6], [2, 7, NO_TITLE], [ANY_POET, NO_TITLE, NO_TITLE]])
    plain, _ = model(ids)
    told, _ = model(ids, condition=rows)
    assert torch.allclose(plain, told)  # the map starts at zero
    with torch.no_grad():
        model.condition.weight.normal_()
    told, _ = model(ids, condition=rows)
    nothing, _ = model(ids, condition=torch.tensor([[ANY_POET, NO_TITLE, NO_TITLE]] * 3))
    assert not torch.allclose(told[:, :2], plain[:, :2])
    assert torch.allclose(nothing, model(ids)[0])  # no condition is the row of nothing


def test_condition_dropout_blanks_poet_and_title_apart_in_training_only():
    model = told_model(blank=0.4)
    rows = torch.tensor([[2, 5, 6]] * 4000)
    with torch.no_grad():
        model.condition.weight.normal_()
        model.train()
        torch.manual_seed(1)
        told = model.condition_vector(rows, len(rows))
        model.eval()
        full = model.condition_vector(rows[:1], 1)
        poet_only = model.condition_vector(torch.tensor([[2, NO_TITLE, NO_TITLE]]), 1)
        title_only = model.condition_vector(torch.tensor([[ANY_POET, 5, 6]]), 1)
        nothing = model.condition_vector(torch.tensor([[ANY_POET, NO_TITLE, NO_TITLE]]), 1)
    kinds = {"both": full, "poet": poet_only, "title": title_only, "nothing": nothing}
    shares = {k: float(torch.isclose(told, v, atol=1e-6).all(1).float().mean()) for k, v in kinds.items()}
    assert abs(shares["both"] - 0.36) < 0.04 and abs(shares["nothing"] - 0.16) < 0.03  # 0.6², 0.4²
    assert abs(shares["poet"] - 0.24) < 0.04 and abs(shares["title"] - 0.24) < 0.04
    assert sum(shares.values()) == pytest.approx(1.0)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model.condition_vector(rows[:50], 50), full.expand(50, -1), atol=1e-5)  # never in eval


@pytest.mark.parametrize("table", [False, True])
def test_writing_step_by_step_equals_the_forward_it_was_trained_by(table):
    model = told_model(vocab_size=20).eval()
    with torch.no_grad():
        for p in (model.condition.weight, model.condition.bias):
            p.normal_()
    ids = torch.randint(0, 20, (12, 3))
    rows = torch.tensor([[1, 5, 6], [3, NO_TITLE, NO_TITLE], [ANY_POET, 7, NO_TITLE]])
    want, _ = model(ids, condition=rows)
    state = model.writing_state(3, 100 if table else 1, rows)
    assert (state.table is not None) == table
    got = []
    for t in range(len(ids)):
        logits, state = model.write_step(ids[t], state)
        got.append(logits)
    assert torch.allclose(torch.stack(got), want, atol=1e-5)


def test_pieces_carry_each_poems_condition():
    offsets = np.array([0, 10, 130])  # a short poem and one cut into three pieces
    rows = np.array([[1, 4, NO_TITLE], [2, 5, 6]])
    pieces = cut_pieces(np.arange(130), offsets, rows)
    assert gather_conditions(pieces, np.arange(len(pieces))).tolist() == [rows[0].tolist()] + [rows[1].tolist()] * 3
    fixed = fixed_pieces(np.zeros((2, 5)), np.zeros((1, 7)), conditions=[rows, rows[:1]])
    assert gather_conditions(fixed, np.array([2, 0])).tolist() == [rows[0].tolist(), rows[0].tolist()]
    assert gather_conditions(fixed_pieces(np.zeros((2, 5))), np.array([0])) is None


def test_the_tiny_poet_writes_to_a_title_in_a_voice_and_refuses_what_it_cannot(tiny_models):
    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    table = poet.conditions
    assert table.poets and table.words
    form = BY_NAME["五绝"]
    title = "".join(table.words[:2])
    asked = [Request(title=title, poet=table.poets[0]), Request(), Request(title=title)]
    poems = write_poems(poet, vocab, asked, mode="form", seed=3, form=form, constraints=tiny_models["poet_constraints"])
    assert all(len(w.poem) == form.tokens for w in poems)
    told = poet.init_state(3, 1, np.array([table.encode(r.title, r.poet) for r in asked])).condition
    assert not torch.allclose(told[0], told[1])  # the trained map tells them apart
    with pytest.raises(TangshiError, match="closest known"):
        write_poems(poet, vocab, [Request(poet="无名氏甲")], form=form)
    with pytest.raises(TangshiError, match="title"):
        write_poems(poet, vocab, [Request(title="♪")], form=form)
    with pytest.raises(TangshiError, match="without titles and poets"):
        write_poems(tiny_models["poets"]["single"], tiny_models["vocab"], [Request(title=title)])


def test_the_tiny_poet_learned_its_poets_vectors(tiny_models):
    model = tiny_models["poets"]["poet"].model
    assert model.condition.weight.abs().sum() > 0  # it started at zero: training moved it
    assert model.poet_embed.num_embeddings == len(tiny_models["poets"]["poet"].conditions.poets) + 1


@pytest.mark.parametrize("guidance", [0.0, 1.5])
def test_guided_writing_samples_the_guided_distribution_and_scores_what_it_wrote_as_told(tiny_models, guidance):
    """Nearly greedy (temperature 0.001), each character written is the best under (1+w)·log p(told) − w·log p(nothing)
    among those the mode allows; and the NLL it reports is the poem's under the poet told it, unguided."""
    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    table, form = poet.conditions, BY_NAME["五绝"]
    asked = [Request(title="".join(table.words[:2]), poet=table.poets[0]), Request(title=table.words[2]),
             Request(poet=table.poets[-1])]
    written = write_poems(poet, vocab, asked, mode="form", temperature=0.001, seed=5, form=form, guidance=guidance,
                          constraints=tiny_models["poet_constraints"])
    rows = np.array([table.encode(r.title, r.poet) for r in asked])
    ids = np.array([vocab.encode(w.poem) for w in written])
    ids[:, 0] = poet.start_id(form)
    told_it = poet.log_probs(ids, rows)
    nothing = poet.log_probs(ids, table.blanked(rows, title=True, poet=True))
    guided = (1 + guidance) * told_it - guidance * nothing
    chars = torch.zeros(len(vocab), dtype=torch.bool)
    chars[vocab.char_ids] = True
    for b, w in enumerate(written):
        picked = ids[b, 1:]
        for k, token in enumerate(picked):
            if chars[token]:  # the form mode allows every character at a character's place
                assert guided[b, k, token] >= guided[b, k][chars].max() - 0.02  # near-ties at temperature 0.001
        want = -sum(float(told_it[b, k, t]) for k, t in enumerate(picked) if chars[t])
        assert w.chosen_nll == pytest.approx(want, rel=1e-4)
    if guidance:  # leaning on the title and the poet writes another poem than the poet told them would
        plain = write_poems(poet, vocab, asked, mode="form", temperature=0.001, seed=5, form=form,
                            constraints=tiny_models["poet_constraints"])
        assert [w.poem for w in plain] != [w.poem for w in written]


def test_guidance_is_refused_out_of_range_and_changes_nothing_for_a_poem_told_nothing(tiny_models):
    poet, vocab, form = tiny_models["poets"]["poet"], tiny_models["poet_vocab"], BY_NAME["五绝"]
    for bad in (-0.5, 10.5):
        with pytest.raises(TangshiError, match="guidance must be between 0"):
            write_poems(poet, vocab, [Request(poet=poet.conditions.poets[0])], form=form, guidance=bad)
    kw = dict(mode="form", seed=2, form=form, constraints=tiny_models["poet_constraints"])
    assert ([w.tokens for w in write_poems(poet, vocab, [Request()] * 3, guidance=3.0, **kw)]
            == [w.tokens for w in write_poems(poet, vocab, [Request()] * 3, **kw)])


def test_a_row_blanked_of_everything_scores_as_no_row_bit_for_bit(tiny_models):
    """evaluate@poet reuses the scores told nothing for the `told: nothing` way: the two must be one reading."""
    poet, vocab, keywords = tiny_models["poets"]["poet"], tiny_models["poet_vocab"], tiny_models["keywords"]
    table = poet.conditions
    poems = [t for _, t in tiny_models["splits"][BY_NAME["五绝"]].dev[:8]]
    ids = np.array([vocab.encode(p) for p in poems])
    ids[:, 0] = poet.start_id(BY_NAME["五绝"])
    rows = np.array([table.encode(table.words[0], table.poets[0], keyword_ids(keywords.of_poem(p), vocab)) for p in poems])
    told = poet.token_nll(ids, rows)
    nothing = poet.token_nll(ids, table.blanked(rows, title=True, poet=True, keywords=True))
    assert np.array_equal(nothing, poet.token_nll(ids)) and not np.array_equal(told, nothing)
