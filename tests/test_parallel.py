"""对仗: the pair score on a corpus whose answer is known, the threshold, and the measure learned from the fixture's
real 律诗 against shuffled couplets and on famous ones."""

import random

import numpy as np
import pytest

from tangshi.errors import TangshiError
from tangshi.judge.parallel import (
    FAMOUS, GRADES, UNIT_THRESHOLDS, ParallelModel, best_threshold, best_unit_threshold, both_middle_parallel, fit,
    middle_couplets, parallel_shares, primer_shares, random_couplets,
)

# Couplets in which hills answer waters and moons answer winds, always at the same place.
TOY = [("青山白月", "绿水清风"), ("高山明月", "长水好风"), ("远山孤月", "流水晚风"), ("春山新月", "秋水旧风")] * 3


def test_aligned_pairs_score_and_others_do_not():
    model = fit(TOY, min_count=2, rank=50)
    assert model.pair_score("山", "水") > 0.5 and model.pair_score("月", "风") > 0.5
    assert model.pair_score("山", "水") == pytest.approx(model.pair_score("水", "山"))  # a pair in either order
    assert model.pair_score("山", "风") < 0.1 and model.pair_score("山", "山") == 0.0  # repetition is not 对仗
    assert model.pair_score("山", "龘") == 0.0  # a character it never saw
    assert model.couplet_score("高山白月", "长水清风") > model.couplet_score("高山白月", "清风长水")
    with pytest.raises(TangshiError, match="two lines of one length, not 4 and 5"):
        model.couplet_score("高山白月", "长水清风夜")


def test_the_threshold_separates_two_sets():
    assert best_threshold([0.9, 1.0, 1.2, 0.8], [0.1, 0.2, 0.3, 0.85]) == 0.8
    assert best_threshold([2.0, 3.0], [0.0, 1.0]) == 2.0


def test_the_model_saves_and_loads(tmp_path):
    model = fit(TOY, 2, 50)
    model.threshold, model.unit_threshold = 0.25, 0.4
    model.save(tmp_path / "pairs.npz")
    again = ParallelModel.load(tmp_path / "pairs.npz")
    assert again.chars == model.chars and (again.threshold, again.unit_threshold) == (0.25, 0.4)
    assert again.couplet_score("高山白月", "长水清风") == pytest.approx(model.couplet_score("高山白月", "长水清风"), rel=1e-6)
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(TangshiError, match="corrupt 对仗 model"):
        ParallelModel.load(tmp_path / "bad.npz")
    with pytest.raises(TangshiError, match="run `dvc repro parallel`"):
        ParallelModel.load(tmp_path / "missing.npz")


def test_random_couplets_pair_lines_of_different_poems_at_one_place(fixture_corpus):
    poems = [t for _, t in fixture_corpus.large.train][:50]
    firsts = {line for p in poems for line in p.replace("。", "，").split("，")[0::2] if line}
    for a, b in random_couplets(poems, 200, random.Random(0)):
        assert len(a) == len(b) == 5 and a in firsts
        assert not any(f"{a}，{b}。" in p for p in poems)  # never a couplet of one poem


def test_real_middle_couplets_beat_shuffled_ones_on_held_out_poems(tiny_models, fixture_corpus):
    model = tiny_models["parallel"]  # learned from the fixture's train 五律 and 七律
    dev = [t for _, t in fixture_corpus.large.dev] + [t for _, t in fixture_corpus.forms["七律"].split.dev]
    middle = middle_couplets(dev)
    by_length = {n: [c for c in middle if len(c[0]) == n] for n in (5, 7)}
    shuffled = [(a, group[(i + 1) % len(group)][1]) for group in by_length.values() for i, (a, _) in enumerate(group)]
    assert np.mean([model.couplet_score(*c) for c in middle]) > 2 * np.mean([model.couplet_score(*c) for c in shuffled])
    shares = parallel_shares(model, dev, 0)
    assert shares["couplet_3_4"] > shares["random_couplets"] and shares["couplet_5_6"] > shares["random_couplets"]
    assert 0 < shares["both_middle"] <= min(shares["couplet_3_4"], shares["couplet_5_6"])


@pytest.mark.parametrize("title", ["春望", "山居秋暝", "登高"])
def test_famous_middle_couplets_are_parallel_and_their_last_couplets_less(tiny_models, title):
    model, couplets = tiny_models["parallel"], tiny_models["parallel"].couplets(FAMOUS[title])
    assert both_middle_parallel(model, FAMOUS[title]) and [c["lines"] for c in couplets][1:3] == [[3, 4], [5, 6]]
    assert min(c["score"] for c in couplets[1:3]) > couplets[3]["score"]


def test_best_of_n_prefers_a_parallel_middle_for_a_lvshi(tiny_models):
    from tangshi.writing.decode import Request, Written
    from tangshi.writing.rerank import PLAIN_MIDDLE, score, write_best

    model = tiny_models["parallel"]
    parallel, plain = FAMOUS["春望"], "国破山河在，城春草木深。白头搔更短，浑欲不胜簪。烽火连三月，家书抵万金。感时花溅泪，恨别鸟惊心。"
    assert both_middle_parallel(model, parallel) and not both_middle_parallel(model, plain)  # the same lines, reordered
    a, b = Written("*" + parallel + "$", 80.0, 40), Written("*" + plain + "$", 79.0, 40)  # b a little likelier
    assert score(b) < score(a) and score(a, model) < score(b, model)  # with 对仗 in the ranking, a wins
    assert score(b, model) - score(b) == PLAIN_MIDDLE and score(a, model) == score(a)
    jueju = Written("*" + "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。" + "$", 20.0, 20)
    assert score(jueju, model) == score(jueju)  # a 绝句 has no middle couplets
    poet, vocab = tiny_models["poets"]["single"], tiny_models["vocab"]
    kw = dict(mode="meter", constraints=tiny_models["constraints"], seed=3)
    chosen = write_best(poet, vocab, [Request(start="山")] * 6, 8, parallel=model, **kw)
    unranked = write_best(poet, vocab, [Request(start="山")] * 6, 8, **kw)
    share = lambda ws: sum(both_middle_parallel(model, w.poem) for w in ws)  # noqa: E731
    assert share(chosen) >= share(unranked)


def toy_model(unit_threshold: float = 2.0, word_factor: float = 1.0) -> ParallelModel:
    model = fit(TOY, 2, 50)  # 山/水 and 月/风 score 2.27, the adjectives 3.31 with their partners, the rest 0
    model.unit_threshold, model.word_factor = unit_threshold, word_factor
    return model


def test_a_couplet_is_graded_position_by_position():
    model = toy_model()
    assert model.unanswered("高山白月", "长水清风") == [] and model.grade("高山白月", "长水清风") == "工对"
    # 山/风 and 月/水 do not answer: two positions unanswered, not parallel, though half the couplet pairs
    assert model.unanswered("高山白月", "长风清水") == [1, 3] and model.grade("高山白月", "长风清水") == "not parallel"
    assert model.grade("高山白月", "长水清月") == "宽对"  # one position (月 facing 月) unanswered
    couplet = model.couplets("高山白月，长水清月。高山白月，长风清水。")
    assert [(c["grade"], c["unanswered"], c["parallel"]) for c in couplet] == [("宽对", [4], True), ("not parallel", [2, 4], False)]


def test_a_word_answers_as_a_whole_and_reduplication_answers_reduplication():
    # 高山 against 长风: 高/长 pair (3.31), 山/风 do not (0); the word's mean 1.65 carries 山 at a factor of 0.5
    assert toy_model(word_factor=0.5).unanswered("高山", "长风") == [] and toy_model().unanswered("高山", "长风") == [1]
    assert toy_model().unanswered("山山月", "水水风") == []  # 叠字 facing 叠字: 萧萧/滚滚
    assert toy_model().unanswered("山山月", "水风风") == [1]  # but not 叠字 facing two characters (山/风 do not pair)


def test_the_unit_threshold_is_chosen_to_tell_real_couplets_from_crossed_ones():
    model = fit(TOY, 2, 50)
    crossed = [("青山白月", "清风长水"), ("高山明月", "晚风流水")]
    model.unit_threshold, model.word_factor = best_unit_threshold(model, TOY, crossed)
    assert all(model.is_parallel(*c) for c in TOY) and not any(model.is_parallel(*c) for c in crossed)
    assert (model.unit_threshold, model.word_factor) == (UNIT_THRESHOLDS[0], 1.0)  # every setting tells them apart: the lowest


def test_the_primer_is_graded_beside_its_shuffled_pairs(tiny_models):
    from tangshi.data.mengxue import shenglv_pairs

    from .conftest import FIXTURE

    pairs = shenglv_pairs(FIXTURE / "dist" / "mengxue")
    assert len(pairs["chars"]) == 18 and pairs["chars"][0] == ("云", "雨") and ("人间清暑殿", "天上广寒宫") in pairs["couplets5"]
    assert ("两岸晓烟杨柳绿", "一园春雨杏花红") in pairs["couplets7"] and all(len(a) == len(b) == 2 for a, b in pairs["words"])
    shares = primer_shares(tiny_models["parallel"], pairs, 0)
    assert set(shares) == {"couplets5", "couplets7", "chars", "words"}
    assert sum(shares["couplets5"][g] for g in GRADES) == pytest.approx(1.0, abs=1e-3)


def test_real_middle_couplets_are_graded_above_crossed_ones(tiny_models, fixture_corpus):
    dev = [t for _, t in fixture_corpus.large.dev] + [t for _, t in fixture_corpus.forms["七律"].split.dev]
    shares = parallel_shares(tiny_models["parallel"], dev, 0)
    at_least_kuan = shares["middle_grades"]["工对"] + shares["middle_grades"]["宽对"]
    assert at_least_kuan > 1 - shares["random_grades"]["not parallel"] and "both_middle" in shares["lenient"]
