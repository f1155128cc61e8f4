import subprocess

import pytest

from tangshi.errors import TangshiError
from tangshi.reports.studies import END, MARK, STUDIES, check_git_identity, experiments, fmt, merge_sections, queue_commands


def test_every_study_queues_named_experiments_on_one_variant():
    names = set()
    for study in STUDIES.values():
        for command in queue_commands(study):
            assert command[:4] == ["dvc", "exp", "run", "--queue"] and command[4] == "-n"
            names.add(command[5])
            targets = [c for c in command if "@" in c]
            assert targets and len({t.split("@")[1] for t in targets}) == 1  # one variant trains
            assert study.variant in targets[0] or command[5].startswith("main-")
    assert {"opt-sgd", "opt-adam-0.01", "emb-none", "fb-0", "es-3", "large-single", "poet-untied"} <= names
    assert "-S" in queue_commands(STUDIES["large"])[0] and "models.single.corpus=large" in queue_commands(STUDIES["large"])[0]


def test_close_runs_repeat_with_training_seeds():
    commands = {c[5]: c for c in queue_commands(STUDIES["forget_bias"])}
    assert set(commands) == {"fb-0", "fb-0-s7", "fb-0-s2026", "main-single-s7", "main-single-s2026", "fb-2", "fb-2-s7", "fb-2-s2026"}
    assert commands["main-single-s7"][6:] == ["-S", "train.seed=7", "evaluate@single", "sample@single"]
    assert commands["fb-2-s2026"][6:10] == ["-S", "train.forget_bias=2", "-S", "train.seed=2026"]
    depth = [c[5] for c in queue_commands(STUDIES["depth"])]
    assert "main-triple-s7" in depth and "main" not in depth and len(depth) == 10
    assert fmt([150.0, 152.0, 157.0]) == "153.0 (150.0–157.0, 3 seeds)" and fmt([150.0]) == "150.0"


def test_studies_need_a_git_identity(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no global identity
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    with pytest.raises(TangshiError, match=r"git has no user.name, and DVC experiments commit: set one first"):
        check_git_identity(tmp_path)
    subprocess.run(["git", "config", "user.name", "Du Fu"], cwd=tmp_path, check=True)
    subprocess.run(["git", "config", "user.email", "dufu@example.com"], cwd=tmp_path, check=True)
    check_git_identity(tmp_path)


def test_report_rewrites_only_the_studies_it_is_given():
    document = f"# Studies\n\nintro\n\n{MARK.format('a')}\nold a\n{END}\n\n{MARK.format('b')}\nold b\n{END}\n"
    merged = merge_sections(document, {"b": "new b", "c": "new c"})
    assert "old a" in merged and "old b" not in merged and merged.index("new b") < merged.index("new c")
    assert merge_sections(merged, {"b": "newer b"}).count(MARK.format("b")) == 1


def test_experiments_are_read_from_exp_show():
    def entry(rev, name, dev):
        return {"rev": rev, "name": name, "data": {"rev": rev, "params": {"params.yaml": {"data": {"seed": 1}}},
                                                   "metrics": {"metrics/eval/single.json": {"data": {"dev_ppl": dev}}}}}

    show = [  # dvc exp show -A: newest commit first, each with its experiments newest first
        {"rev": "workspace", "data": {"rev": "workspace"}},
        {**entry("abc", "main", 150.0), "experiments": [
            {"revs": [entry("def", "fb-0", 160.0)]}, {"revs": [{"rev": "q", "name": "queued"}]},
            {"executor": {"state": "queued"}, "revs": [entry("q2", "fb-2", None)]}]},  # queued again: the finished run counts
        {**entry("old", "main~1", 140.0), "experiments": [{"revs": [entry("ghi", "fb-0", 170.0)]}, {"revs": [entry("jkl", "fb-2", 165.0)]}]},
    ]
    found = experiments(show)
    assert set(found) == {"main", "fb-0", "fb-2"}
    assert found["fb-0"]["metrics"]["metrics/eval/single.json"]["dev_ppl"] == 160.0 and found["main"]["rev"] == "abc"
    assert found["fb-2"]["rev"] == "jkl"
