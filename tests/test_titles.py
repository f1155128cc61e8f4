"""Titles and authors beside the poems (data/titles.py): from the raw records, by id and by text."""

import pytest

from tangshi.data.titles import Meta, by_id, by_text, clean, counts, from_tsv, lookup, poets_with, to_tsv
from tangshi.errors import TangshiError

RECORDS = [  # the raw format: traditional script, paragraphs of couplets
    {"id": "a", "author": "杜甫", "title": "春望", "paragraphs": ["國破山河在，城春草木深。", "感時花濺淚，恨別鳥驚心。"]},
    {"id": "b", "author": "李白", "title": "靜夜思", "paragraphs": ["牀前明月光，疑是地上霜。"]},
    {"id": "c", "author": "無名氏", "title": "春望 二", "paragraphs": ["國破山河在，城春草木深。", "感時花濺淚，恨別鳥驚心。"]},
    {"id": "d", "paragraphs": ["白日依山盡，黃河入海流。"]},
]


def test_titles_and_authors_are_simplified_and_on_one_line():
    assert clean("靜夜思") == "静夜思" and clean("  帝京篇十首\t 一\n") == "帝京篇十首 一"
    assert clean(None) == "" and clean(7) == ""
    assert by_id(RECORDS)["b"] == Meta("静夜思", "李白")
    assert by_id(RECORDS)["d"] == Meta("", "")


def test_a_text_takes_its_first_records_title_as_the_corpus_keeps_the_first():
    table = by_text(RECORDS)
    assert table["国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。"] == Meta("春望", "杜甫")  # not 无名氏's copy
    assert len(table) == 3


def test_a_poem_without_its_record_is_refused_in_one_line():
    with pytest.raises(TangshiError, match=r"1 of 2 record ids not found .*'zzz'.*dvc repro"):
        lookup(["a", "zzz"], by_id(RECORDS), "record ids")


def test_tsv_round_trip_and_a_broken_line():
    metas = [Meta("春望", "杜甫"), Meta("", "")]
    assert to_tsv(metas) == "春望\t杜甫\n\t\n"
    assert from_tsv(to_tsv(metas)) == metas
    with pytest.raises(TangshiError, match="line 2"):
        from_tsv("春望\t杜甫\n春望\n")


def test_counts_and_poets_over_thresholds():
    metas = [Meta("春望", "杜甫")] * 3 + [Meta("", "李白"), Meta("无题", "")]
    assert counts(metas) == {"poems": 5, "titled": 4, "authored": 4, "poets": 2}
    assert poets_with(metas, (1, 2, 3, 4)) == {"at_least_1": 2, "at_least_2": 1, "at_least_3": 1, "at_least_4": 0}


def test_read_titled_pairs_each_poem_with_its_line_and_refuses_a_mismatch(tmp_path, monkeypatch):
    from tangshi.data.titles import read_titled

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data/corpus/qilv").mkdir(parents=True)
    (tmp_path / "data/titles/qilv").mkdir(parents=True)
    (tmp_path / "data/corpus/qilv/dev.txt").write_text("甲\n乙\n", encoding="utf-8")
    with pytest.raises(TangshiError, match="dvc repro titles"):
        read_titled("qilv", "dev")
    (tmp_path / "data/titles/qilv/dev.tsv").write_text("登高\t杜甫\n", encoding="utf-8")
    with pytest.raises(TangshiError, match="1 lines for 2 poems"):
        read_titled("qilv", "dev")
    (tmp_path / "data/titles/qilv/dev.tsv").write_text("登高\t杜甫\n\t\n", encoding="utf-8")
    assert read_titled("qilv", "dev") == [(Meta("登高", "杜甫"), "甲"), (Meta("", ""), "乙")]
