import json

import pytest

from tangshi.data.corpus import POEM_LEN, build_corpus, detect_form, form_problem, is_dev, load_json_folder, poem_lines, rejection
from tangshi.errors import TangshiError
from tangshi.forms import WULV

GOOD = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"


def test_rejection_reasons():
    assert rejection(GOOD) is None
    assert rejection(GOOD.replace("国", "□")) == "symbols"
    assert rejection(GOOD[:-1] + "（注）。") == "symbols"
    assert rejection(GOOD[:24]) == "line_count"
    assert rejection("床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 2) is None  # 8x5 even if repeated
    assert rejection("朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。" * 2) == "line_length"
    assert rejection(GOOD.replace("深。", "深？")) == "punctuation"
    assert poem_lines(GOOD)[0] == "国破山河在" and len(poem_lines(GOOD)) == 8


def test_fixture_corpus_counts(fixture_records, fixture_corpus):
    stats = fixture_corpus.stats
    assert stats["poems_read"] == len(fixture_records) == 574
    assert all(stats["rejected"][r] >= 12 for r in ("symbols", "line_count", "line_length"))
    assert stats["duplicates"] >= 6
    large = stats["large"]
    assert large["train"] + large["dev"] == stats["kept"] == stats["regulated_unique"] - stats["near_duplicates_removed"]
    texts = [t for _, t in fixture_corpus.large.train + fixture_corpus.large.dev]
    assert len(set(texts)) == len(texts)
    assert all(len(t) == POEM_LEN and rejection(t) is None for t in texts)
    assert all(t == t.strip() and "馬" not in t for t in texts)  # simplified script
    assert 0.15 < large["dev"] / stats["kept"] < 0.35


def test_split_is_stable_when_the_corpus_grows(fixture_records):
    small = build_corpus(fixture_records[:200] + fixture_records[-120:], 2300, 42, 0.25)  # the last 120: other forms
    full = build_corpus(fixture_records, 2300, 42, 0.25)
    full_dev = {t for _, t in full.large.dev}
    assert {t for _, t in small.large.dev} <= full_dev
    assert not {t for _, t in small.large.train} & full_dev


def test_normal_subset_is_seeded_and_inside_the_large_set(fixture_records):
    a = build_corpus(fixture_records, 100, 42, 0.25)
    b = build_corpus(fixture_records, 100, 42, 0.25)
    c = build_corpus(fixture_records, 100, 7, 0.25)
    assert len(a.normal.train) + len(a.normal.dev) == 100 and a.normal.train == b.normal.train and a.normal.dev == b.normal.dev
    assert a.normal.train != c.normal.train
    assert set(a.normal.train) <= set(a.large.train) and set(a.normal.dev) <= set(a.large.dev)
    assert is_dev(GOOD, 42, 0.25) == is_dev(GOOD, 42, 0.25)


def test_form_problems_name_what_was_found():
    assert form_problem(GOOD) is None
    assert form_problem("").startswith("empty input")
    assert form_problem(GOOD[:24]) is None  # a 五绝's shape
    assert form_problem(GOOD[:24], WULV) == "4 lines; 五律 has 8"
    seven = "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。"
    assert form_problem(seven) is None and detect_form(seven).name == "七绝"
    assert form_problem(seven, WULV) == "7 characters a line; 五律 has 5"
    assert form_problem(GOOD[:36]) == "6 lines; a 绝句 has 4 and a 律诗 8"
    assert form_problem("国破山河在否，城春草木深。") == "5/6 characters a line; regulated verse has 5 (五言) or 7 (七言) in every line"
    assert form_problem("Spring view").startswith("no Chinese characters")
    assert form_problem(GOOD[:-1] + "（注）。").startswith("'（）' is not part of a poem")
    assert form_problem(GOOD.replace("深。", "深，")).startswith("punctuation")


def test_bad_corpus_inputs(tmp_path, fixture_records):
    with pytest.raises(TangshiError, match="corpus.normal_poems must be at least 2, not 1"):
        build_corpus(fixture_records, 1, 42, 0.25)
    with pytest.raises(TangshiError, match="empty train split after filtering"):
        build_corpus([r for r in fixture_records if "，" not in "".join(r["paragraphs"])], 10, 42, 0.25)
    with pytest.raises(TangshiError, match="no poet.*json files in"):
        load_json_folder(tmp_path)
    (tmp_path / "poet.tang.0.json").write_text('[{"id": "x", "paragraphs": [', encoding="utf-8")
    with pytest.raises(TangshiError, match="poet.tang.0.json is not valid JSON .*dvc repro -f fetch"):
        load_json_folder(tmp_path)
    (tmp_path / "poet.tang.0.json").write_text(json.dumps({"id": "x"}), encoding="utf-8")
    with pytest.raises(TangshiError, match="is not a list of poems"):
        load_json_folder(tmp_path)


def test_every_form_is_split_like_the_five_character_regulated_verse(fixture_corpus):
    from tangshi.data.corpus import detect_form

    assert set(fixture_corpus.forms) == {"五绝", "七绝", "七律"}
    for name, form_set in fixture_corpus.forms.items():
        texts = [t for _, t in form_set.split.train + form_set.split.dev]
        assert texts and all(detect_form(t).name == name for t in texts)
        assert form_set.stats["kept"] == len(texts) == len(set(texts))
        assert fixture_corpus.stats["forms"][name]["dev"] == len(form_set.split.dev) > 0
    assert fixture_corpus.stats["forms"]["五律"]["dev"] == len(fixture_corpus.large.dev)


def test_a_jueju_half_of_a_dev_lushi_never_reaches_training():
    """A 绝句 that near-duplicates a 律诗 takes the 律诗's side: left out of both splits beside a dev poem."""
    from tangshi.data.corpus import build_form_set, poem_lines
    from tangshi.forms import BY_NAME

    lushi = "朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。" * 2
    half = lushi[:32]
    other = "月落乌啼霜满天，江枫渔火对愁眠。姑苏城外寒山寺，夜半钟声到客船。"
    records = [(str(i), {"paragraphs": [t]}) for i, t in enumerate([half, other, other.replace("客船", "钓船")])]
    anchors = [("dev", poem_lines(lushi))]
    extra = [(str(10 + i), {"paragraphs": [t]}) for i, t in enumerate(SEVEN_JUE)]
    result = build_form_set(records + extra, BY_NAME["七绝"], 42, 0.25, anchors)
    kept = [t for _, t in result.split.train + result.split.dev]
    assert half not in kept and half in [t for _, t in result.dev_twins]
    assert result.stats["near_other_form_dev"] == 1
    # the variant reading 钓船 groups with 客船: one kept, the other beside it
    assert (other in kept) != (other.replace("客船", "钓船") in kept)


SEVEN_JUE = [
    "秦时明月汉时关，万里长征人未还。但使龙城飞将在，不教胡马度阴山。",
    "渭城朝雨浥轻尘，客舍青青柳色新。劝君更尽一杯酒，西出阳关无故人。",
    "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。",
    "独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。",
    "少小离家老大回，乡音无改鬓毛衰。儿童相见不相识，笑问客从何处来。",
    "葡萄美酒夜光杯，欲饮琵琶马上催。醉卧沙场君莫笑，古来征战几人回。",
]
