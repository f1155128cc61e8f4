"""Near-duplicate grouping, the split it protects, and the verse corpus's exclusion of dev."""

import numpy as np

from tangshi.data.batching import cut_pieces
from tangshi.data.corpus import build_corpus, poem_lines, verse_rejection
from tangshi.data.dedup import LineIndex, group_near_duplicates
from tangshi.data.verse import build_verse, encode_verse, verse_offsets
from tangshi.data.vocab import build_vocab

# 芳树本多奇: two readings of one poem in the corpus (旧枝 / 故枝), and a third with one more line changed
FANG = "芳树本多奇，年华复在斯。结翠成新幄，开红满旧枝。风归花历乱，日度影参差。容色朝朝落，思君君不知。"
FANG_B = FANG.replace("旧枝", "故枝")
FANG_C = FANG_B.replace("风归花历乱", "风来花历乱")
OTHER = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"
# 白居易's series: a refrain in lines 1 and 7, nothing else shared
SERIES_A = "何处难忘酒，长安喜气新。初登高第后，乍作好官人。省壁明张牓，朝衣稳称身。此时无一醆，争奈帝城春。"
SERIES_B = "何处难忘酒，天涯话旧情。青云俱不达，白发递相惊。二十年前别，三千里外行。此时无一醆，何以叙平生。"
ONE_SHARED = "何处春深好，春深执政家。凤池添砚水，鸡树落衣花。诏借当衢宅，恩容上殿车。延英开对久，门与日西斜。"
ONE_SHARED_B = "何处春深好，春深妓女家。眉欺杨柳叶，裙妬石榴花。兰麝熏行被，金铜钉坐车。杭州苏小小，人道最夭斜。"


def test_near_duplicates_group_by_two_lines_matching_but_for_one_character():
    poems = [FANG, OTHER, FANG_B, FANG_C, SERIES_A, SERIES_B, ONE_SHARED, ONE_SHARED_B]
    groups = group_near_duplicates([poem_lines(p) for p in poems])
    assert groups == [0, 1, 0, 0, 4, 4, 6, 7]  # readings merge, transitively; a refrain twice merges; one line does not


def test_line_index_counts_lines_per_poem():
    index = LineIndex([poem_lines(FANG), poem_lines(OTHER)])
    assert index.shared_counts(poem_lines(FANG_C)) == {0: 8}  # 7 equal lines and one a character off
    assert index.near(["开红满故枝", "容色朝朝落"]) and not index.near(["开红满故枝", "白日依山尽"])


def record(text: str, number: int) -> dict:
    return {"id": str(number), "paragraphs": [text[i : i + 12] for i in range(0, len(text), 12)]}


def test_no_variant_reading_crosses_the_split(fixture_records):
    base = fixture_records + [record(FANG, 9001), record(FANG_B, 9002), record(FANG_C, 9003)]
    corpus = build_corpus(base, 2300, 42, 0.25)
    kept = {t for split in (corpus.large.train, corpus.large.dev) for _, t in split}
    assert FANG in kept and not {FANG_B, FANG_C} & kept
    assert corpus.stats["near_duplicates_removed"] >= 2 and corpus.stats["near_duplicate_groups"] >= 1
    dev_lines = LineIndex(poem_lines(t) for _, t in corpus.large.dev)
    assert not any(dev_lines.near(poem_lines(t)) for _, t in corpus.large.train)  # no train poem has a dev twin
    twins = {t for _, t in corpus.dev_twins}  # the fixture holds a real pair of readings too (夜久星沉没…)
    fang_in_dev = FANG in {t for _, t in corpus.large.dev}
    assert ({FANG_B, FANG_C} <= twins) if fang_in_dev else not ({FANG_B, FANG_C} & twins)
    assert corpus.stats["dev_twins"] == len(twins) >= 1
    normal = {t for _, t in corpus.normal.dev}
    assert normal <= {t for _, t in corpus.large.dev}  # the normal set lies inside the large one


def test_verse_keeps_five_and_seven_character_poems_of_any_length_minus_dev(raw_dir, fixture_corpus, fixture_verse):
    texts = [t for _, t in fixture_verse.poems]
    assert all(verse_rejection(t) is None for t in texts)
    assert {len(poem_lines(t)) for t in texts} > {4, 8}  # 绝句, 律诗 and longer
    assert {len(poem_lines(t)[0]) for t in texts} == {5, 7}
    assert fixture_verse.stats["by_dynasty"]["song"] > 0 and fixture_verse.stats["removed_for_dev_overlap"] > 0
    by_lines = fixture_verse.stats["by_lines"]["tang_5"]
    assert list(by_lines) == ["2", "4", "6", "8", "10-12", "14-20", "22-40", "42+"] and by_lines["8"] > by_lines["4"] > 0
    assert all(fixture_verse.stats["by_form"][name] > 0 for name in ("五绝", "七绝", "五律", "七律"))
    assert verse_rejection("国破山河在，城春草木深。感时花溅泪时，恨别鸟惊心。") == "line_length"  # mixed line lengths
    dev = LineIndex(poem_lines(t) for t in fixture_corpus.all_dev_related())
    assert not any(dev.near(poem_lines(t)) for t in texts)  # no dev poem of any form and no near-twin of one
    train = [t for _, t in fixture_corpus.large.train] + [t for f in fixture_corpus.forms.values() for _, t in f.split.train]
    assert set(train) <= set(texts)  # the Tang train poems of every form are in it


def test_verse_excludes_a_variant_reading_of_a_dev_poem():
    records = {"tang": [record(FANG_B, 1), record(OTHER, 2)], "song": [record(FANG_C, 3), record(SERIES_A, 4)]}
    verse = build_verse(records, excluded=[FANG])
    assert [t for _, t in verse.poems] == [OTHER, SERIES_A]
    assert verse.stats["removed_for_dev_overlap"] == 2


def test_verse_encoding_and_pieces():
    vocab = build_vocab([OTHER, FANG], 60, "random", 42)
    long_poem = "，".join(["山月照空林"] * 2) + "。"
    long_poem = long_poem * 10  # 20 lines
    ids, offsets = encode_verse(vocab, [OTHER, long_poem]), verse_offsets([OTHER, long_poem])
    assert offsets.tolist() == [0, 50, 50 + 122] and ids[0] == vocab.bos and ids[49] == vocab.eos
    pieces = cut_pieces(ids, offsets)
    assert pieces.lengths.tolist() == [50, 49, 49, 26] and pieces.widths.tolist() == [50, 50, 50, 26]
    qilv = "风急天高猿啸哀，渚清沙白鸟飞回。" * 4  # a 七律's 66 tokens stay one piece
    assert cut_pieces(encode_verse(vocab, [qilv]), verse_offsets([qilv])).lengths.tolist() == [66]
    # every token after a poem's first is predicted exactly once
    predicted = np.concatenate([np.arange(s + 1, s + n) for s, n in zip(pieces.starts, pieces.lengths)])
    assert sorted(predicted.tolist()) == [i for i in range(len(ids)) if i not in (0, 50)]
