"""A poem read as a whole: specificity, repetition and cohesion measured, real poems above the floor on the
fixture corpus; the ranking and sampling terms that write against blandness; the CLI's --explain."""

import numpy as np
import pytest

from tangshi.app.cli import main as cli_main
from tangshi.errors import TangshiError
from tangshi.judge.cohesion import COMMON, explain, floor_poems, measures, read_whole, references, repetition
from tangshi.data.corpus import poem_lines
from tangshi.forms import BY_NAME
from tangshi.writing.decode import Request, Written, write_poems
from tangshi.writing.rerank import score, write_best

from .judge_poems import PASSES


@pytest.fixture(scope="module")
def stats(word_stats):
    """Word statistics of the fixture's poet text: its verse and its Tang train splits, no dev poem."""
    return word_stats[0]


@pytest.fixture(scope="module")
def dev(fixture_corpus):
    return [t for _, t in fixture_corpus.large.dev]


def test_repetition_counts_repeats_and_doubles_apart():
    assert repetition("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。") == (0.0, 0.0)
    repeated, doubled = repetition("无边落木萧萧下，不尽长江滚滚来。")  # 萧萧 and 滚滚 are 叠字
    assert doubled == pytest.approx(2 / 14) and repeated == 0.0
    repeated, doubled = repetition("山中山月山，山水山风山。")  # 山 six times: five repeat, none doubles
    assert repeated == pytest.approx(5 / 10) and doubled == 0.0


def test_stats_learn_from_the_text(stats):
    assert stats.poems > 100 and len(stats.chars) > COMMON and stats.content > 0
    assert (stats.df[:-1] >= stats.df[1:]).all()  # by descending document frequency
    common, rare = stats.chars[0], stats.chars[-1]
    assert stats.idf[stats.index[common]] < stats.idf[stats.index[rare]]
    assert (stats.pairs != stats.pairs.T).nnz == 0 and stats.pairs.diagonal().sum() == 0


def test_cohesion_separates_real_poems_from_the_floor(stats, dev):
    floor = floor_poems(dev, 42)
    assert len(floor) == len(dev) and all(len(poem_lines(f)) == 8 for f in floor)
    for i, f in enumerate(floor[:50]):  # each line from a different poem, at its own place
        lines = poem_lines(f)
        assert len({dev.index(next(d for d in dev if poem_lines(d)[k] == line)) for k, line in enumerate(lines)}) >= 7
    ref = references(stats, dev, 42)  # the fixture's text is small (833 poems), so the margins are too
    assert ref["real"]["cohesion"] > ref["floor"]["cohesion"]
    assert ref["real"]["cohesion_above_real_median"] == pytest.approx(0.5, abs=0.05)
    assert ref["floor"]["cohesion_above_real_median"] < ref["real"]["cohesion_above_real_median"] - 0.05
    assert ref["real"]["repeated"] < ref["floor"]["repeated"]  # a real poet repeats less than lines thrown together
    assert ref["real"]["specificity"] == ref["floor"]["specificity"]  # the same characters: read against bland poems below


def test_specificity_and_repetition_separate_real_poems_from_bland_ones(stats, dev):
    """The floor keeps real poems' characters, so specificity is read against a bland poem: the commonest
    characters of the text, and a poem that repeats them."""
    common = stats.chars[:20]
    bland = ["".join(common[(i + k) % 20] for k in range(5)) for i in range(8)]
    bland = "".join(line + ("，" if i % 2 == 0 else "。") for i, line in enumerate(bland))
    real = measures(dev, stats)
    assert real["specificity"] > measures([bland], stats)["specificity"] + 0.5
    assert real["repeated"] < 0.05 < measures([bland], stats)["repeated"]


def test_read_whole_and_explain(stats, dev):
    ref = references(stats, dev, 42)
    whole = read_whole(PASSES["春望"], stats, ref)
    assert set(whole) == {"specificity", "repeated", "doubled", "cohesion", "real"}
    line = explain(whole, "五律")
    assert line.startswith("as a whole: specificity ") and "(real 五律 " in line and "叠字" in line and "median" in line


def test_slor_prefers_the_rarer_draft_at_equal_likelihood(stats):
    common = "".join(stats.chars[:40])
    rare = "".join(stats.chars[-40:])
    poem = lambda s: "".join(s[i * 5 : i * 5 + 5] + ("，" if i % 2 == 0 else "。") for i in range(8))  # noqa: E731
    bland, specific = Written("*" + poem(common) + "$", 200.0, 40), Written("*" + poem(rare) + "$", 200.0, 40)
    assert score(bland) == pytest.approx(score(specific))  # likelihood alone cannot tell them apart
    assert score(specific, stats=stats, slor=1.0) < score(bland, stats=stats, slor=1.0)


def test_the_cohesion_term_prefers_the_cohesive_draft(stats, dev):
    real = max(dev[:40], key=lambda p: stats.cohesion(p) or -9)
    floor = min(floor_poems(dev, 1)[:40], key=lambda p: stats.cohesion(p) or 9)
    a, b = Written("*" + real + "$", 200.0, 40), Written("*" + floor + "$", 200.0, 40)
    assert score(a, stats=stats, cohesion=2.0) < score(b, stats=stats, cohesion=2.0)


def non_doubled_repeats(poems):
    return sum(repetition(p)[0] for p in poems)


def test_the_repeat_rule_lowers_repeats_and_leaves_doubles_alone(tiny_models):
    poet, vocab = tiny_models["poets"]["single"], tiny_models["vocab"]
    kw = dict(mode="form", constraints=tiny_models["constraints"], seed=3, temperature=1.0)
    requests = [Request(start="山")] * 40
    free = write_poems(poet, vocab, requests, **kw)
    ruled = write_poems(poet, vocab, requests, repeat_penalty=20.0, **kw)
    assert non_doubled_repeats([w.poem for w in ruled]) < 0.2 * non_doubled_repeats([w.poem for w in free])
    assert [w.tokens for w in write_poems(poet, vocab, requests, repeat_penalty=0.0, **kw)] == [w.tokens for w in free]
    assert all(len(w.poem) == 48 for w in ruled)
    # the poet of every form starts from its form's token, outside the dictionary's rows
    poet = tiny_models["poets"]["poet"]
    qijue = write_poems(poet, poet.vocab, [Request()] * 8, mode="meter", constraints=tiny_models["poet_constraints"],
                        seed=3, form=BY_NAME["七绝"], repeat_penalty=20.0)
    assert all(len(poem_lines(w.poem)) == 4 for w in qijue)


def test_the_discount_writes_rarer_characters(tiny_models, stats):
    poet, vocab = tiny_models["poets"]["single"], tiny_models["vocab"]
    kw = dict(mode="form", constraints=tiny_models["constraints"], seed=5, temperature=1.0)
    requests = [Request(start="山")] * 40
    unigram = stats.unigram_log_probs(vocab.tokens)
    plain = write_poems(poet, vocab, requests, **kw)
    leaning = write_poems(poet, vocab, requests, discount=1.0, unigram=unigram, **kw)
    assert measures([w.poem for w in leaning], stats)["specificity"] > measures([w.poem for w in plain], stats)["specificity"]
    with pytest.raises(TangshiError, match="unigram discount needs the unigram model"):
        write_poems(poet, vocab, requests, discount=1.0, **kw)
    with pytest.raises(TangshiError, match="needs the word statistics"):
        write_best(poet, vocab, requests, 2, slor=1.0, **kw)


def test_cli_explains_a_poem_beside_real_ones(tiny_models, word_stats, tmp_path, capsys):
    out = tiny_models["out"]
    common = ["--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"), "--device", "cpu",
              "--word-stats", str(word_stats[1]), "--references", str(word_stats[2])]
    cli_main(["write", "--model", str(out / "models" / "single"), "--start", "山", "-n", "2", "--explain",
              "--discount", "0.3", "--slor", "0.5", "--cohesion", "1", "--repeat-penalty", "2", *common])
    text = capsys.readouterr().out
    assert text.count("as a whole: specificity") == 2 and "(real 五律 " in text
    with pytest.raises(SystemExit):
        cli_main(["write", "--model", str(out / "models" / "single"), "--start", "山", "--explain", *common[:6],
                  "--word-stats", str(tmp_path / "none.npz")])
    assert "--explain needs the word statistics" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["write", "--model", str(out / "models" / "single"), "--start", "山", "--discount", "-1", *common])
    assert "--discount takes 0 (off) or more, not -1.0" in capsys.readouterr().err


def test_cli_check_reads_a_poem_whole_where_the_stats_are_built(tiny_models, word_stats, capsys):
    out = tiny_models["out"]
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["check", PASSES["春望"], "--tones", str(out / "tones.json"), "--word-stats", str(word_stats[1]),
                  "--references", str(word_stats[2])])
    text = capsys.readouterr().out
    assert exit_info.value.code == 0 and "as a whole: specificity " in text and "(real 五律 " in text
    with pytest.raises(SystemExit):
        cli_main(["check", PASSES["春望"], "--tones", str(out / "tones.json"), "--word-stats", str(out / "none.npz")])
    assert "as a whole" not in capsys.readouterr().out


def test_the_cli_and_page_default_to_the_pipelines_decoding():
    """What `tangshi write`, the page and the API write with unless told is what the sample stage wrote with."""
    import yaml

    from tangshi.app.defaults import DECODING, GUIDANCE
    from tangshi.app.serve import WriteIn
    from tangshi.writing.samples import decoding_kw

    from .conftest import ROOT

    sample = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["sample"]
    assert decoding_kw(sample) == {k: DECODING[k] for k in ("repeat_penalty", "discount", "slor", "cohesion")}
    assert (sample["temperature"], sample["top_p"], sample["guidance"]) == (DECODING["temperature"], DECODING["top_p"], GUIDANCE)
    body = WriteIn()
    assert {k: getattr(body, k) for k in ("repeat_penalty", "discount", "slor", "cohesion", "temperature")} == {
        k: DECODING[k] for k in ("repeat_penalty", "discount", "slor", "cohesion", "temperature")}
