"""The real `dvc repro` on the fixture corpus, in a temporary copy of the repository."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from .conftest import FIXTURE, ROOT

pytestmark = pytest.mark.slow
VARIANTS = ("numpy", "autograd", "single", "double", "triple", "poet")

# Small enough for CI; every stage still runs for real.
OVERRIDES = {
    "corpus": {"source": str(FIXTURE), "normal_poems": 300},
    "pretrain": {"dim": 16, "epochs": 2, "min_count": 1},
    "vocab": {"size": 300},
    "poet_vocab": {"min_count": 2},
    "train": {"epochs": 2, "patience": 0, "batch_size": 32, "lr": 0.005, "device": "cpu"},
    "models": {**{v: {"hidden": 16} for v in VARIANTS}, "poet": {"hidden": 16, "verse_epochs": 1.5, "patience": None, "epochs": 2, "shortlist": 100,
                                                             "condition": {"min_poems": 3}}},
    "sample": {"per_start": 2, "starts": "山月日风人", "acrostic": "山水风云日月春秋", "best_of": 3,
               "prompts": [{"title": "春望", "poet": "李白"}, {"title": "秋 月", "poet": "王维"}], "per_prompt": 2},
    "told": {"poets": ["李白", "刘长卿", "王维"], "per_poet": 2, "titles": 12},
    "keywords": {"size": 300, "min_count": 2, "word_pmi": 1.0, "plan_floor": 2},
}


def merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        base[key] = merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


def run(cmd: list[str], cwd: Path) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def stages_run(output: str) -> list[str]:
    return re.findall(r"Running stage '([^']+)'", output)


def set_params(repo: Path, extra: dict) -> None:
    path = repo / "params.yaml"
    path.write_text(yaml.safe_dump(merge(yaml.safe_load(path.read_text(encoding="utf-8")), extra), allow_unicode=True))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file() and not name.startswith("tests/"):
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_bytes(src.read_bytes())
    set_params(repo, OVERRIDES)
    run(["git", "init", "-q"], repo)
    # The repository's own identity: `dvc exp run` commits, and a fresh machine has no global one.
    run(["git", "config", "user.name", "tangshi tests"], repo)
    run(["git", "config", "user.email", "tests@tangshi.invalid"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "fixture"], repo)
    first = run(["dvc", "repro"], repo)
    repo.joinpath("first_run.log").write_text(first)
    return repo


def test_every_stage_ran_and_wrote_its_outputs(repo):
    ran = stages_run((repo / "first_run.log").read_text())
    data_stages = ["fetch", "corpus", "pretrain", "vocab", "verse", "titles", "embed"]
    assert sorted(s for s in ran if s in data_stages) == sorted(data_stages)
    corpus = json.loads((repo / "metrics/corpus.json").read_text())
    assert corpus["kept"] == corpus["regulated_unique"] - corpus["near_duplicates_removed"] and corpus["poems_read"] == 574
    assert corpus["near_duplicates_removed"] >= 1 and corpus["dev_twins"] <= corpus["near_duplicates_removed"]
    assert corpus["normal"]["train"] + corpus["normal"]["dev"] == 300 and corpus["duplicates"] >= 6
    train = (repo / "data/corpus/large/train.txt").read_text(encoding="utf-8").splitlines()
    assert len(train) == corpus["large"]["train"] and all(len(p) == 48 for p in train)
    assert len((repo / "data/corpus/normal/dev.ids").read_text().splitlines()) == corpus["normal"]["dev"]
    for name, folder in (("五绝", "wujue"), ("七绝", "qijue"), ("七律", "qilv")):  # the other forms, split alike
        form = corpus["forms"][name]
        assert form["train"] > form["dev"] > 0
        assert len((repo / f"data/corpus/{folder}/dev.txt").read_text(encoding="utf-8").splitlines()) == form["dev"]
    assert np.load(repo / "data/encoded/qilv/dev.npy").shape == (corpus["forms"]["七律"]["dev"], 66)
    vocab = json.loads((repo / "metrics/vocab.json").read_text())
    assert vocab["size"] == 304 and 0 < vocab["oov_rate_train"] < vocab["oov_rate_dev"] < 0.5
    encoded = np.load(repo / "data/encoded/normal/train.npy")
    assert encoded.shape == (corpus["normal"]["train"], 50) and encoded.max() < vocab["size"]
    verse = json.loads((repo / "metrics/verse.json").read_text())
    poems = (repo / "data/verse/poems.txt").read_text(encoding="utf-8").splitlines()
    assert verse["poems"] == len(poems) > corpus["large"]["train"] and verse["removed_for_dev_overlap"] >= corpus["large"]["dev"]
    dev = set((repo / "data/corpus/large/dev.txt").read_text(encoding="utf-8").splitlines())
    assert not dev & set(poems) and np.load(repo / "data/verse/offsets.npy")[-1] == verse["tokens"]
    titles = json.loads((repo / "metrics/titles.json").read_text())  # a title and an author beside every poem
    for name in ("large/train", "qilv/dev", "normal/dev"):  # the corpus and verse stages count them
        tsv = (repo / f"data/titles/{name}.tsv").read_text(encoding="utf-8").splitlines()
        txt = (repo / f"data/corpus/{name}.txt").read_text(encoding="utf-8").splitlines()
        assert len(tsv) == len(txt) == corpus["titles"][name]["poems"] and all(line.count("\t") == 1 for line in tsv)
        assert corpus["titles"][name]["titled"] == len(txt) and 0 < corpus["titles"][name]["poets"] <= len(txt)
        assert corpus["titles"][name]["poets"] == len({line.split("\t")[1] for line in tsv} - {""})
    assert len((repo / "data/titles/verse.tsv").read_text(encoding="utf-8").splitlines()) == verse["titles"]["poems"] == verse["poems"]
    assert 0 < verse["titles"]["poets"] < verse["titles"]["authored"] <= verse["poems"]
    assert titles["poet_text"]["poems"] == verse["poems"] + sum(corpus["titles"][f"{f}/train"]["poems"] for f in ("wujue", "qijue", "large", "qilv"))
    top = next(iter(titles["poet_text"]["top"].values()))
    assert titles["poet_text"]["at_least_20"] >= 1 and top >= 20
    poet = vocab["poet"]  # the poet's own dictionary: every character of its training text seen twice, and <oov>
    assert poet["size"] > vocab["size"] and poet["oov_rate_dev"] < vocab["oov_rate_dev"] and poet["oov_rate_verse"] < vocab["oov_rate_verse"]
    assert poet["oov_rate_own_text"] < 0.05 and json.loads((repo / "data/poet_vocab.json").read_text())["tokens"][-1] == "<oov>"
    assert np.load(repo / "data/poet_encoded/qilv/dev.npy").shape == np.load(repo / "data/encoded/qilv/dev.npy").shape
    assert len(np.load(repo / "data/poet_encoded/verse.npy")) == len(np.load(repo / "data/encoded/verse.npy")) == verse["tokens"]
    embedding = np.load(repo / "data/embedding.npy")
    assert embedding.shape == (304, 16) and np.load(repo / "data/poet_embedding.npy").shape == (poet["size"], 16)
    assert json.loads((repo / "metrics/embedding.json").read_text())["hit_rate"] > 0.9
    assert "月:" in (repo / "first_run.log").read_text()  # the neighbours sanity check is logged


def test_models_are_trained_evaluated_sampled_and_reported(repo):
    ran = stages_run((repo / "first_run.log").read_text())
    for stage in ("train", "evaluate", "sample"):
        assert {f"{stage}@{v}" for v in VARIANTS} <= set(ran)
    assert "meter" in ran and ran[-1] == "report"
    for v in VARIANTS:
        loss = [float(r.split("\t")[1]) for r in (repo / f"dvclive/{v}/plots/metrics/train/loss.tsv").read_text().splitlines()[1:]]
        epochs = 4 if v == "poet" else 2  # the poet reads the verse for 1.5 epochs (two, the second half), then its cap of 2 Tang epochs
        assert len(loss) == epochs and loss[-1] < loss[0], v
        assert {"best.pt", "last.pt", "config.json"} <= {p.name for p in (repo / "models" / v).iterdir()}
        ev = json.loads((repo / f"metrics/eval/{v}.json").read_text())
        assert ev["dev_ppl"] < ev["dev_ppl_chars"] and ev["large_dev_ppl"] < ev["large_dev_ppl_chars"] and ev["epochs"] == epochs
        assert ev["corpus"] == ("forms" if v == "poet" else "normal")
        sm = json.loads((repo / f"metrics/samples/{v}.json").read_text())
        assert sm["constrain"] == "form" and sm["form_valid"] == 1.0 and sm["poems"] == 10 and sm["best_of"] == 3
        assert sm["by_mode"]["meter"]["best_of_3"]["meter_valid"] == sm["by_mode"]["meter"]["best_of_1"]["meter_valid"] == 1.0
        text = (repo / f"samples/{v}.txt").read_text(encoding="utf-8")
        assert text.count("*日") >= 2 and "## acrostic" in text
        assert ("by_form" in sm) == ("forms" in ev) == (v == "poet")  # the poet writes every form, the five 五律 alone
    poet_eval = json.loads((repo / "metrics/eval/poet.json").read_text())
    assert list(poet_eval["forms"]) == ["五绝", "七绝", "五律", "七律"] and all(f["dev_ppl"] > 1 for f in poet_eval["forms"].values())
    # scored on its own dictionary and folded onto the shared one; the five have the shared figures alone
    assert poet_eval["dictionary"] == "poet" and poet_eval["dev_folded_ppl"] > 1 and poet_eval["large_dev_folded_ppl_chars"] > 1
    assert all(f["dev_folded_ppl"] > 1 for f in poet_eval["forms"].values()) and "train_folded_ppl" not in poet_eval
    assert "dev_folded_ppl" not in json.loads((repo / "metrics/eval/single.json").read_text())
    poet_samples = json.loads((repo / "metrics/samples/poet.json").read_text())
    every = poet_samples["all_samples"]  # it writes characters the shared dictionary does not hold
    assert every["poems"] > 100 and every["distinct_chars"] > 100 and 0 < every["outside_shared"] < 0.5
    for name, form in poet_samples["by_form"].items():
        assert form["form_valid"] == 1.0 and form["by_mode"]["meter"]["best_of_3"]["meter_valid"] == 1.0, name
        assert form["by_mode"]["acrostic"]["best_of_3"]["meter_valid"] == 1.0, name
    assert "# 七律 (8 lines of 7 characters)" in (repo / "samples/poet.txt").read_text(encoding="utf-8")
    meter = json.loads((repo / "metrics/meter.json").read_text())
    assert 0.2 < meter["real_dev_poems"]["meter_valid"] < 0.95 and meter["agreement_on_dev"]["agree"] > 0.7
    assert meter["real_dev_poems_strict"]["meter_valid"] < meter["real_dev_poems"]["meter_valid"]
    assert set(meter["variants"]) == {"平平仄平仄", "孤平拗救", "对句相救"}
    assert set(meter["forms"]) == {"五绝", "七绝", "七律"}
    assert all(0 < f["real_dev_poems"]["meter_valid"] < 1 for f in meter["forms"].values())
    assert "| 1 |" in (repo / "metrics/meter_causes.md").read_text(encoding="utf-8")
    old = meter["old_style"]  # 古体 told from 近体 on the fixture's 唐诗三百首 (from data/raw/mengxue)
    assert old["poems"] == {"old": 7, "new": 14} and sum(old["sections"]["五言絕句"].values()) == 5
    assert all(sum(f["kinds"].values()) == pytest.approx(1, abs=1e-3) for f in meter["forms"].values())
    assert "parallel" in ran  # 对仗, learned from the train 律诗: real middle couplets beat random ones on dev
    parallel = json.loads((repo / "metrics/parallel.json").read_text())
    for name in ("五律", "七律"):
        real = parallel["dev"][name]
        assert real["couplet_3_4"] > real["random_couplets"] and real["couplet_5_6"] > real["random_couplets"], name
        assert 0 <= poet_samples["by_form"][name]["by_mode"]["meter"]["best_of_3"]["middle_parallel"] <= 1
        grades = poet_samples["by_form"][name]["by_mode"]["meter"]["best_of_3"]["middle_grades"]
        assert set(grades) == {"工对", "宽对", "not parallel"} and sum(grades.values()) == pytest.approx(1, abs=1e-3)
        assert real["middle_grades"]["not parallel"] < real["random_grades"]["not parallel"], name
    assert set(parallel["shenglv_qimeng"]) == {"couplets5", "couplets7", "chars", "words"} and parallel["unit_threshold"] > 0
    assert "middle_parallel" not in poet_samples["by_form"]["七绝"]["by_mode"]["meter"]["best_of_3"]  # a 绝句 has none
    # the poet is told titles and poets: scored told each way, written for the prompts, judged by the told study
    told = poet_eval["told"]
    assert set(told) == {"五绝", "七绝", "五律", "七律", "五律 normal", "五律 large", "pooled"}
    assert all(set(ways) == {"nothing", "poet", "title", "both", "plan", "all"} and min(ways.values()) > 1 for ways in told.values())
    assert told["五律"]["nothing"] == pytest.approx(poet_eval["forms"]["五律"]["dev_ppl"], rel=1e-3)
    assert told["五律"]["both"] != told["五律"]["nothing"] and told["五律"]["plan"] != told["五律"]["nothing"]
    # a keyword a line, learned from the poet's training text; the poet writes the prompts again to plans from them
    assert "keywords" in ran
    keywords = json.loads((repo / "metrics/keywords.json").read_text())
    assert 0 < keywords["two_character"] < keywords["size"] <= 300 and keywords["lines_with_a_keyword"]["五律 dev"] > 0.5
    assert set(keywords["planner"]) == {"五绝", "七绝", "五律", "七律"}
    assert (repo / "metrics/keywords.md").read_text(encoding="utf-8").count("\n| ") >= 20
    for name, form in poet_samples["by_form"].items():
        planned = form["by_mode"]["planned"]["best_of_3"]
        assert planned["poems"] == 4 and planned["meter_valid"] == 1.0 and 0 <= planned["keywords_kept"] <= 1, name
    assert "told" not in json.loads((repo / "metrics/eval/single.json").read_text())
    for name, form in poet_samples["by_form"].items():
        prompted = form["by_mode"]["prompted"]["best_of_3"]
        assert prompted["poems"] == 4 and prompted["meter_valid"] == 1.0, name
    assert "《春望》 李白:" in (repo / "samples/poet.txt").read_text(encoding="utf-8")
    assert "prompted" not in json.loads((repo / "metrics/samples/single.json").read_text())["by_mode"]
    assert "told" in ran
    study = json.loads((repo / "metrics/told.json").read_text())
    voice, subject = study["voice"], study["subject"]
    assert voice["poets"] == ["李白", "刘长卿", "王维"] and voice["written_per_poet"] == 8  # 2 a form
    assert 0 <= voice["ceiling"]["mean_recall"] <= 1 and set(voice["written_as"]) == set(voice["poets"])
    assert all(0 <= x <= 1 for x in list(voice["copied_lines_own"].values()) + list(voice["copied_lines_all"].values()))
    assert subject["titles"] == 12 and 0 <= subject["with_title"] <= 1 and 0 <= subject["without_title"] <= 1
    assert 0 <= subject["with_title_and_plan"] <= 1 and set(subject["as_a_whole"]) == {"with_title", "without_title", "with_title_and_plan"}
    report = (repo / "metrics/report.md").read_text(encoding="utf-8")
    assert all(f"| {v} |" in report for v in VARIANTS)
    assert "## 古体 or 近体" in report and "| 五言絕句 |" in report and "## 对仗, graded position by position" in report
    assert "### Told a plan" in report
    assert (repo / "plots/perplexity.png").stat().st_size > 10_000 and (repo / "plots/variants.png").exists()
    shown = run(["dvc", "metrics", "show", "--json"], repo)
    assert "dev_ppl_chars" in shown and "meter_valid" in shown
    run(["dvc", "plots", "show", "-o", "dvc_plots"], repo)
    assert (repo / "dvc_plots" / "index.html").exists()


def test_second_repro_runs_nothing(repo):
    assert stages_run(run(["dvc", "repro"], repo)) == []


def test_vocab_size_reruns_only_what_follows(repo):
    set_params(repo, {"vocab": {"size": 250}})
    output = run(["dvc", "repro"], repo)
    ran = stages_run(output)
    assert set(ran[:2]) == {"vocab", "embed"} and "train@single" in ran and "report" in ran, output
    assert not {"fetch", "corpus", "pretrain", "verse", "meter"} & set(ran)
    assert json.loads((repo / "metrics/vocab.json").read_text())["size"] == 254


def test_exp_run_on_one_variant_reruns_only_that_variant(repo):
    output = run(["dvc", "exp", "run", "-S", "models.double.hidden=24"], repo)
    ran = set(stages_run(output))
    assert ran == {"train@double", "evaluate@double", "sample@double", "report"}, output
    assert json.loads((repo / "metrics/eval/double.json").read_text())["parameters"] > 0
    diff = run(["dvc", "metrics", "diff"], repo)
    assert "metrics/eval/double.json" in diff


def test_study_summary_on_a_fixture_sweep(repo, monkeypatch):
    from dataclasses import replace

    from tangshi.reports.studies import STUDIES, queue_commands, report

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    study = STUDIES["forget_bias"]  # two training seeds instead of three, to keep the test short
    monkeypatch.setitem(STUDIES, "forget_bias", replace(study, runs=[replace(r, seeds=r.seeds[:2]) for r in study.runs]))
    commands = queue_commands(STUDIES["forget_bias"])
    assert [c[5] for c in commands] == ["fb-0", "fb-0-s7", "main-single-s7", "fb-2", "fb-2-s7"]
    assert all(c[-2:] == ["evaluate@single", "sample@single"] for c in commands)
    for command in commands:  # run each at once instead of through the queue
        run([c for c in command if c != "--queue"], repo)
    text = report(["forget_bias"], root=repo, findings={"forget_bias": "What we found."})["forget_bias"]
    assert "| bias 0 | train.forget_bias=0 | 2 |" in text and "| bias 2 | train.forget_bias=2 | 2 |" in text
    assert "| bias 1 (pipeline run) | defaults |" in text and "2 seeds)" in text
    assert text.rstrip().endswith("What we found.")
    assert (repo / "plots/studies/forget_bias.png").stat().st_size > 10_000


def test_bad_param_fails_with_one_line_and_no_output(repo):
    set_params(repo, {"vocab": {"oov": "unk"}})
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    done = subprocess.run(["dvc", "repro"], cwd=repo, env=env, capture_output=True, text=True)
    set_params(repo, {"vocab": {"oov": "random"}})
    assert done.returncode != 0
    assert "error: vocab.oov takes one of random, token, not 'unk': fix it in params.yaml" in done.stdout + done.stderr
    assert not list((repo / "data").glob(".*tmp*"))
