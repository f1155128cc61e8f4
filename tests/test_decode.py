import pytest
import torch

from tangshi.app.cli import main as cli_main
from tangshi.data.corpus import poem_lines
from tangshi.errors import TangshiError
from tangshi.judge.cohesion import WordStats
from tangshi.judge.meter import judge, rule_rates
from tangshi.writing.decode import Constraints, Request, Written, draw, filter_logits, sample_rows, write_poems
from tangshi.writing.rerank import score, write_best

from tangshi.forms import BY_NAME, FORMS

from .judge_poems import FLAGGED, FORM_PASSES, PASSES


@pytest.fixture(scope="module")
def setup(tiny_models):
    return tiny_models


@pytest.mark.parametrize("variant", ["numpy", "single"])
def test_form_mode_is_always_well_formed(setup, variant):
    vocab = setup["vocab"]
    written = write_poems(setup["poets"][variant], vocab, [Request(start="山")] * 20, "form", setup["constraints"], seed=1)
    for w in written:
        assert w.tokens.startswith("*山") and w.tokens.endswith("$")
        assert judge(w.poem, setup["lexicon"], vocab).passed["form"], w.tokens
        assert 0 < w.chosen <= 39 and w.chosen_nll > 0


def test_none_mode_samples_freely(setup):
    written = write_poems(setup["poets"]["single"], setup["vocab"], [Request(start="月")] * 30, "none", seed=2, temperature=1.5)
    assert all(w.tokens.startswith("*月") for w in written)
    forms = [judge(w.poem, setup["lexicon"], setup["vocab"]).passed["form"] for w in written]
    assert not all(forms)  # a barely trained model breaks form when nothing stops it


@pytest.mark.parametrize("variant", ["numpy", "single"])
def test_meter_mode_passes_the_judge(setup, variant):
    requests = [Request(start=c) for c in "日夜红山月海何" for _ in range(5)]
    written = write_poems(setup["poets"][variant], setup["vocab"], requests, "meter", setup["constraints"], seed=3)
    judgements = [judge(w.poem, setup["lexicon"], setup["vocab"]) for w in written]
    assert rule_rates(judgements)["meter_valid"] == 1.0, [(w.tokens, w.pattern, j.failed(), j.tones) for w, j in zip(written, judgements) if j.failed()]
    assert all(w.pattern and w.rhyme_group for w in written)
    ends = [poem_lines(w.poem)[i][-1] for w in written for i in (1, 3, 5, 7)]
    assert len(ends) == 4 * len(written)
    for w in written:  # no rhyme character twice in one poem
        rhymes = [poem_lines(w.poem)[i][-1] for i in (1, 3, 5, 7)]
        assert len(set(rhymes)) == 4


def test_meter_mode_writes_the_accepted_variants(setup):
    requests = [Request(start=c) for c in "日夜红山月海何" for _ in range(30)]
    written = write_poems(setup["poets"]["single"], setup["vocab"], requests, "meter", setup["constraints"], seed=9)
    judgements = [judge(w.poem, setup["lexicon"], setup["vocab"]) for w in written]
    assert all(j.meter_valid for j in judgements)
    used = {v for j in judgements for v in j.variants()}
    assert used == {"平平仄平仄", "孤平拗救", "对句相救"}, used  # the decoder may write each of them, and the judge accepts it
    assert any(judge(w.poem, setup["lexicon"], setup["vocab"], "strict").failed() for w in written)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.key)
def test_the_poet_writes_every_form_in_meter(setup, form):
    requests = [Request(start=c) for c in "日夜红山月海何" for _ in range(4)] + [Request(acrostic="春江花月夜思故乡"[: form.lines])] * 4
    poet, vocab = setup["poets"]["poet"], setup["poet_vocab"]  # its own dictionary, its adaptive output layer
    written = write_poems(poet, vocab, requests, "meter", setup["poet_constraints"], seed=4, form=form)
    judgements = [judge(w.poem, setup["lexicon"], vocab, form=form) for w in written]
    assert all(j.form == form and j.meter_valid for j in judgements), [(w.tokens, j.failed()) for w, j in zip(written, judgements) if j.failed()]
    assert all(w.pattern in ("平起入韵", "平起不入韵", "仄起入韵", "仄起不入韵") for w in written)
    named = [(w.pattern[:2], j.pattern[:2]) for w, j in zip(written, judgements) if j.pattern]  # 平起/仄起 (None: both either)
    assert len(named) > len(written) / 2 and all(a == b for a, b in named), named
    assert all([line[0] for line in poem_lines(w.poem)] == list("春江花月夜思故乡"[: form.lines]) for w in written[-4:])
    form_mode = write_poems(poet, vocab, requests[:8], "form", setup["poet_constraints"], seed=4, form=form)
    assert all(judge(w.poem, setup["lexicon"], form=form).passed["form"] for w in form_mode)


def test_a_seven_character_first_line_is_continued(setup, fixture_corpus):
    vocab = setup["poet_vocab"]
    first = next(line for _, t in fixture_corpus.forms["七律"].split.train for line in poem_lines(t)[:1] if all(c in vocab for c in line))
    qilv = BY_NAME["七律"]
    written = write_poems(setup["poets"]["poet"], vocab, [Request(first_line=first)] * 3, "meter", setup["poet_constraints"],
                          seed=6, form=qilv)
    assert all(w.poem.startswith(first + "，") and judge(w.poem, setup["lexicon"], form=qilv).meter_valid for w in written)


def test_best_of_keeps_the_lowest_scoring_candidate(setup):
    poet, vocab = setup["poets"]["single"], setup["vocab"]
    requests = [Request(start="山"), Request(start="月")]
    kw = dict(mode="meter", constraints=setup["constraints"], seed=11)
    best = write_best(poet, vocab, requests, 6, **kw)
    candidates = write_poems(poet, vocab, [r for r in requests for _ in range(6)], **kw)
    for i, chosen in enumerate(best):
        group = candidates[i * 6 : (i + 1) * 6]
        assert chosen.tokens in [c.tokens for c in group] and score(chosen) == min(score(c) for c in group)
    assert [w.tokens for w in write_best(poet, vocab, requests, 1, **kw)] == [w.tokens for w in write_poems(poet, vocab, requests, **kw)]
    repeated = Written("*山山山山山，" * 8 + "$", 40.0, 40)
    plain = Written("*" + PASSES["春望"] + "$", 40.0, 40)
    assert score(repeated) > score(plain)  # same likelihood: the repeats cost
    with pytest.raises(TangshiError, match="best_of must be at least 1, not 0"):
        write_best(poet, vocab, requests, 0)


def test_large_requests_are_written_in_bounded_batches(setup, capsys, monkeypatch):
    from tangshi.writing import rerank

    assert list(rerank.batch_sizes(2500, 1)) == [1024, 1024, 452] and list(rerank.batch_sizes(5, 8)) == [5]
    assert list(rerank.batch_sizes(300, 8)) == [128, 128, 44]
    monkeypatch.setattr(rerank, "MAX_CANDIDATES", 4)
    out = setup["out"]
    cli_main(["write", "--model", str(out / "models" / "single"), "--start", "山", "-n", "5", "--best-of", "2",
              "--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"), "--device", "cpu"])
    captured = capsys.readouterr()
    assert captured.out.count("*山") == 5 and "5/5" in captured.err  # streamed in 3 batches, with a progress bar


@pytest.mark.parametrize("best_of", [0, -3, 33, 100_000])
def test_cli_refuses_a_best_of_out_of_range_in_one_line(setup, capsys, best_of):
    out = setup["out"]
    with pytest.raises(SystemExit) as exit_info:  # 0 divided by zero, 100000 wrote without bound
        cli_main(["write", "--model", str(out / "models" / "single"), "--best-of", str(best_of),
                  "--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"), "--device", "cpu"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: best-of must be 1 to 32 candidates a poem, not {best_of}")


@pytest.mark.parametrize("mode", ["none", "form", "meter"])
def test_acrostic_is_driven_by_line_position(setup, mode):
    written = write_poems(setup["poets"]["single"], setup["vocab"], [Request(acrostic="春江花月夜思故乡")] * 4, mode,
                          setup["constraints"], seed=4)
    for w in written:
        body = w.tokens[1:]
        assert [body[i * 6] for i in range(8) if i * 6 < len(body)] == list("春江花月夜思故乡")[: (len(body) + 5) // 6]
    if mode == "meter":
        assert all(judge(w.poem, setup["lexicon"], setup["vocab"]).meter_valid for w in written)


def test_first_line_is_continued(setup, fixture_corpus):
    vocab = setup["vocab"]
    first = next(line for _, t in fixture_corpus.large.train for line in poem_lines(t)[:1] if all(c in vocab for c in line))
    written = write_poems(setup["poets"]["numpy"], vocab, [Request(first_line=first)] * 3, "meter", setup["constraints"], seed=5)
    assert all(w.poem.startswith(first + "，") and judge(w.poem, setup["lexicon"]).passed["form"] for w in written)


def test_same_seed_same_poems(setup):
    args = (setup["poets"]["single"], setup["vocab"], [Request(start="山")] * 5, "meter", setup["constraints"])
    assert [w.tokens for w in write_poems(*args, seed=7)] == [w.tokens for w in write_poems(*args, seed=7)]
    assert [w.tokens for w in write_poems(*args, seed=7)] != [w.tokens for w in write_poems(*args, seed=8)]


def test_bad_requests(setup):
    poet, vocab = setup["poets"]["single"], setup["vocab"]
    with pytest.raises(TangshiError, match="character '龘' is not in the model's dictionary"):
        write_poems(poet, vocab, [Request(start="龘")])
    with pytest.raises(TangshiError, match="an acrostic for 五律 has 8 characters, one per line; '春江花' has 3"):
        write_poems(poet, vocab, [Request(acrostic="春江花")])
    with pytest.raises(TangshiError, match="a first line of 五律 has 5 characters; '国破山河' has 4"):
        write_poems(poet, vocab, [Request(first_line="国破山河")])
    with pytest.raises(TangshiError, match="an acrostic for 七绝 has 4 characters, one per line; '春江花月夜思故乡' has 8"):
        write_poems(setup["poets"]["poet"], setup["poet_vocab"], [Request(acrostic="春江花月夜思故乡")], form=BY_NAME["七绝"])
    with pytest.raises(TangshiError, match=r"this model writes 五律 only: use the poet \(models/poet\) for 七律"):
        write_poems(poet, vocab, [Request()], form=BY_NAME["七律"])
    with pytest.raises(TangshiError, match="unknown constrain mode 'rhyme': choose one of none, form, meter"):
        write_poems(poet, vocab, [Request()], "rhyme")
    with pytest.raises(TangshiError, match="meter needs the tone lexicon"):
        write_poems(poet, vocab, [Request()], "meter", Constraints(vocab))


def test_filter_logits():
    scores = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    assert torch.isinf(filter_logits(scores, 2, 1.0)).tolist() == [[True, False, False, True]]
    p = torch.softmax(scores, -1)[0]  # 0.64, 0.24, 0.09, 0.03 by rank
    kept = ~torch.isinf(filter_logits(scores, 0, 0.8))
    assert kept.tolist() == [[False, True, True, False]] and p[1] + p[2] >= 0.8


def test_sample_rows_draws_in_proportion_to_weights():
    probs = torch.tensor([0.5, 0.0, 0.3, 0.15, 0.05, 0.0])
    drawn = sample_rows(3 * probs.expand(200_000, -1), torch.Generator().manual_seed(0))
    freq = torch.bincount(drawn, minlength=len(probs)).double() / len(drawn)
    assert freq[1] == 0 and freq[5] == 0
    assert torch.allclose(freq, probs.double(), atol=0.005), freq  # 4 standard errors at p = 0.5
    one_hot = torch.zeros(3, 4)
    one_hot[torch.arange(3), torch.tensor([3, 0, 2])] = 1e-30
    assert sample_rows(one_hot, torch.Generator().manual_seed(1)).tolist() == [3, 0, 2]


@pytest.mark.parametrize("temperature, top_p", [(1.0, 1.0), (0.5, 1.0), (1.0, 0.7)])
def test_draw_samples_the_masked_tempered_softmax(temperature, top_p):
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0]).expand(100_000, -1)
    allowed = torch.tensor([True, True, False, True, True])
    drawn, log_z = draw(logits, allowed, temperature, 0, top_p, torch.Generator().manual_seed(0))
    assert torch.allclose(log_z, torch.logsumexp(logits, -1))  # of the unconstrained model
    want = torch.softmax(filter_logits(logits[:1].masked_fill(~allowed, -torch.inf) / temperature, 0, top_p), -1)[0]
    freq = torch.bincount(drawn, minlength=5).double() / len(drawn)
    assert freq[2] == 0 and torch.allclose(freq, want.double(), atol=0.006), (freq, want)


def test_cli_write_check_score(setup, capsys, tmp_path):
    out = setup["out"]
    common = ["--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"), "--device", "cpu"]
    cli_main(["write", "--model", str(out / "models" / "single"), "--acrostic", "春江花月夜思故乡", "-n", "2", *common])
    text = capsys.readouterr().out
    assert text.count("*春") == 2 and "passes every rule of 五律" in text
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["check", PASSES["春望"], "--tones", str(out / "tones.json"), "--parallel", str(out / "pairs.npz")])
    text = capsys.readouterr().out
    assert exit_info.value.code == 0 and "pattern: 仄起不入韵" in text
    assert "对仗 (a note, not a rule; position by position)" in text and "3–4 " in text and "middle couplets at least 宽对" in text
    with pytest.raises(SystemExit):
        cli_main(["check", PASSES["春望"], "--tones", str(out / "tones.json"), "--parallel", str(tmp_path / "none.npz")])
    assert "对仗 not judged: no 对仗 model (run `dvc repro parallel`" in capsys.readouterr().out
    poems = tmp_path / "poems.txt"
    poems.write_text(PASSES["春望"] + "\n" + PASSES["武德"] + "\n", encoding="utf-8")
    cli_main(["score", str(poems), "--model", str(out / "models" / "numpy"), *common])
    assert "2 poems: perplexity" in capsys.readouterr().out


def test_cli_writes_checks_and_scores_every_form_with_the_poet(setup, capsys, tmp_path):
    out = setup["out"]
    common = ["--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"), "--device", "cpu"]
    cli_main(["write", "--model", str(out / "models" / "poet"), "--form", "七绝", "--acrostic", "春江花月", "-n", "2", *common])
    text = capsys.readouterr().out
    assert text.count("<七绝>") == 0 and text.count("read as 七绝") == 2 and "passes every rule of 七绝" in text
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["check", FORM_PASSES["登高"][0], "--tones", str(out / "tones.json")])
    text = capsys.readouterr().out
    assert exit_info.value.code == 0 and "read as 七律 (8 lines of 7 characters)" in text and "pattern: 仄起入韵" in text
    poems = tmp_path / "poems.txt"
    poems.write_text("\n".join([PASSES["春望"], FORM_PASSES["登高"][0], FORM_PASSES["相思"][0]]) + "\n", encoding="utf-8")
    cli_main(["score", str(poems), "--model", str(out / "models" / "poet"), *common])
    lines = capsys.readouterr().out.splitlines()
    assert "3 poems: perplexity" in lines[-1] and [line.split()[1] for line in lines[:3]] == poems.read_text().split()


def test_cli_writes_on_a_title_in_a_voice_and_lists_the_poets(setup, capsys, tmp_path):
    out = setup["out"]
    common = ["--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"), "--device", "cpu",
              "--keyword-dictionary", str(out / "keywords" / "keywords.json"), "--planner", str(out / "keywords" / "planner.npz")]
    table = setup["poets"]["poet"].conditions
    cli_main(["poets", "--model", str(out / "models" / "poet"), *common[:6]])
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in listed[:-1]] == table.poets and f"{len(table.poets)} of {len(table.poets)} poets" in listed[-1]
    cli_main(["poets", "--model", str(out / "models" / "poet"), "--search", table.poets[0][0], *common[:6]])
    assert all(table.poets[0][0] in line.split()[1] for line in capsys.readouterr().out.splitlines()[:-1])
    title = " ".join(table.words[:2])  # keywords
    cli_main(["write", "--model", str(out / "models" / "poet"), "--form", "五绝", "--title", title, "--poet", table.poets[0],
              "--start", "山", "-n", "2", "--best-of", "2", *common])
    text = capsys.readouterr().out
    assert text.count("*山") == 2 and text.count("passes every rule of 五绝") == 2
    for args, message in (
        (["--poet", "无名氏甲"], "closest known: "),
        (["--title", "♪"], "no character of the title '♪'"),
        (["--title", title, "--guidance", "11"], "guidance must be between 0 (none) and 10"),
    ):
        with pytest.raises(SystemExit) as exit_info:  # word statistics absent, as on a fresh clone: still one line
            cli_main(["write", "--model", str(out / "models" / "poet"), "--form", "五绝", *args, *common,
                      "--word-stats", str(tmp_path / "absent.npz")])
        err = capsys.readouterr().err
        assert exit_info.value.code == 1 and err.count("\n") == 1 and message in err
    with pytest.raises(SystemExit):
        cli_main(["write", "--model", str(out / "models" / "single"), "--title", title, *common])
    assert "trained without titles and poets" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["poets", "--model", str(out / "models" / "single"), *common[:6]])
    assert "trained without poets" in capsys.readouterr().err


def test_cli_writes_to_a_plan_given_in_part_and_refuses_unknown_keywords(setup, capsys, tmp_path):
    out = setup["out"]
    paths = ["--keyword-dictionary", str(out / "keywords" / "keywords.json"), "--planner", str(out / "keywords" / "planner.npz")]
    common = ["--model", str(out / "models" / "poet"), "--vocab", str(out / "vocab.json"), "--tones", str(out / "tones.json"),
              "--device", "cpu", "--form", "五绝", "--best-of", "2"]
    words = setup["keywords"].words
    cli_main(["write", *common, *paths, "--keywords", words[0], "-", words[1], "-n", "3", "--seed", "4"])
    text = capsys.readouterr().out
    plans = [line.removeprefix("plan: ").split() for line in text.splitlines() if line.startswith("plan: ")]
    assert len(plans) == 3 and all(len(p) == 4 and p[0] == words[0] and p[2] == words[1] for p in plans)
    assert all(len(set(p)) == 4 and all(w in setup["keywords"] for w in p) for p in plans)  # the rest planned
    assert text.count("passes every rule of 五绝") == 3
    cli_main(["write", *common, *paths, "--keywords", words[0], "-", words[1], "-n", "3", "--seed", "4"])
    assert capsys.readouterr().out == text  # deterministic for a seed
    cli_main(["write", *common, *paths, "--no-plan", "-n", "1"])
    assert "plan: " not in capsys.readouterr().out
    cli_main(["write", *common, "--keyword-dictionary", str(tmp_path / "none.json"), "-n", "1"])  # a fresh clone: a note
    captured = capsys.readouterr()
    assert "plan: " not in captured.out and "no keyword planner at" in captured.err
    for args, message in (
        (["--keywords", "龘"], "is not one or two characters of the model's dictionary"),
        (["--keywords", words[0][0] + "龘"], "is not one or two characters of the model's dictionary"),
        (["--keywords", *words[:5]], "a plan for 五绝 has at most 4 keywords"),
        (["--keyword-dictionary", str(tmp_path / "none.json"), "--keywords", words[0]], "run `dvc repro keywords`"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli_main(["write", *common, *paths, *args])  # a later --keyword-dictionary overrides
        err = capsys.readouterr().err
        assert exit_info.value.code == 1 and err.count("\n") == 1 and message in err, err
    unknown = next(c for c in setup["poet_vocab"].tokens if len(c) == 1 and c not in setup["keywords"] and "\u4e00" <= c <= "\u9fff")
    with pytest.raises(SystemExit):
        cli_main(["write", *common, *paths, "--keywords", unknown])
    err = capsys.readouterr().err
    assert "is not in the keyword dictionary: try " in err and err.count("\n") == 1
    with pytest.raises(SystemExit):
        cli_main(["write", *common[:-4], *paths, "--model", str(out / "models" / "single"), "--keywords", words[0]])
    assert "trained without titles and poets" in capsys.readouterr().err


@pytest.mark.parametrize("text, code, message", [
    (PASSES["月夜"], 0, "passes every rule of 五律"),
    (FLAGGED["过故人庄"][0], 1, "拗 · fits no line type"),
    ("", 2, "empty input"),
    ("hello world", 2, "no Chinese characters"),
    ("朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。", 0, "read as 七绝 (4 lines of 7 characters)"),
    ("床前明月光，疑是地上霜。举头望明月，低头思故乡。", 3, "read as 五绝 (4 lines of 5 characters) — 古体"),  # a 古绝
    ("千山鸟飞绝，万径人踪灭。孤舟蓑笠翁，独钓寒江雪。", 3, "古体: its even lines rhyme on 仄, 仄韵 (入聲九屑)"),
    (PASSES["春望"].replace("簪", "天"), 1, "出韵: 天 is 下平聲一先; the other rhymes are 下平聲十二侵"),
    ("床前明月光，疑是地上霜。举头望明月，低头思故乡。白日依山尽，黄河入海流。", 2, "6 lines; a 绝句 has 4 and a 律诗 8"),
    ("床前明月光，疑是地上霜。举头望明月时，低头思故乡。", 2, "5/6 characters a line; regulated verse has 5"),
])
def test_cli_check_exit_codes(setup, capsys, text, code, message):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["check", text, "--tones", str(setup["out"] / "tones.json")])
    captured = capsys.readouterr()
    assert exit_info.value.code == code and message in captured.out + captured.err
    if code == 2:
        assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["write", "--start", "龘"], "character '龘' is not in the model's dictionary"),
    (["write", "-n", "0"], "ask for at least one poem, not 0"),
    (["write", "--acrostic", "春江"], "an acrostic for 五律 has 8 characters"),
    (["write", "--first-line", "国破山"], "a first line of 五律 has 5 characters"),
    (["write", "--form", "七绝"], "this model writes 五律 only: use the poet (models/poet) for 七绝"),
    (["write", "--form", "六律"], "unknown form '六律': choose one of 五绝、七绝、五律、七律"),
    (["score", "missing.txt"], "cannot read missing.txt"),
])
@pytest.mark.parametrize("word_stats", ["absent", "built"])
def test_cli_bad_input_is_one_line_and_exit_1(setup, capsys, tmp_path, args, message, word_stats):
    # with the cohesion stage not run (a fresh clone) the defaulted terms' notes must not come before the refusal
    out = setup["out"]
    stats = tmp_path / "stats.npz"
    if word_stats == "built":
        WordStats.learn(["山月照秋水，江风吹夜雨。"] * 6, common=2, min_df=1).save(stats)
    extra = ["--word-stats", str(stats)] if args[0] == "write" else []
    with pytest.raises(SystemExit) as exit_info:
        cli_main([*args, "--model", str(out / "models" / "single"), "--vocab", str(out / "vocab.json"),
                  "--tones", str(out / "tones.json"), "--device", "cpu", *extra])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_cli_score_rejects_malformed_poem(setup, capsys, tmp_path):
    out = setup["out"]
    (tmp_path / "bad.txt").write_text("床前明月光，疑是地上霜。\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        cli_main(["score", str(tmp_path / "bad.txt"), "--model", str(out / "models" / "single"), "--vocab", str(out / "vocab.json")])
    assert "line 1 is not regulated verse (2 lines; a 绝句 has 4 and a 律诗 8)" in capsys.readouterr().err
