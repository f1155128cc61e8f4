import json

import pytest

from tangshi.corpus import POEM_LEN, build_corpus, form_problem, is_dev, load_json_folder, poem_lines, rejection
from tangshi.errors import TangshiError

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
    assert stats["poems_read"] == len(fixture_records) == 454
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
    small = build_corpus(fixture_records[:200], 2300, 42, 0.25)
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
    assert form_problem(GOOD[:24]) == "4 lines; 五律 has 8"
    assert form_problem("朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。") == "7 characters a line; 五律 has 5"
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
