from tangshi.studies import STUDIES, experiments, queue_commands


def test_every_study_queues_named_experiments_on_one_variant():
    names = set()
    for study in STUDIES.values():
        for command in queue_commands(study):
            assert command[:4] == ["dvc", "exp", "run", "--queue"] and command[4] == "-n"
            names.add(command[5])
            targets = [c for c in command if "@" in c]
            assert targets and all(t.endswith(f"@{study.variant}") for t in targets)
    assert {"opt-sgd", "opt-adam-0.01", "emb-none", "fb-0", "es-3", "large-single"} <= names
    assert "-S" in queue_commands(STUDIES["large"])[0] and "corpus.size=large" in queue_commands(STUDIES["large"])[0]


def test_experiments_are_read_from_exp_show():
    def entry(rev, name, dev):
        return {"rev": rev, "name": name, "data": {"rev": rev, "params": {"params.yaml": {"data": {"seed": 1}}},
                                                   "metrics": {"metrics/eval/single.json": {"data": {"dev_ppl": dev}}}}}

    show = [  # dvc exp show -A: newest commit first, each with its experiments newest first
        {"rev": "workspace", "data": {"rev": "workspace"}},
        {**entry("abc", "main", 150.0), "experiments": [{"revs": [entry("def", "fb-0", 160.0)]}, {"revs": [{"rev": "q", "name": "queued"}]}]},
        {**entry("old", "main~1", 140.0), "experiments": [{"revs": [entry("ghi", "fb-0", 170.0)]}, {"revs": [entry("jkl", "fb-2", 165.0)]}]},
    ]
    found = experiments(show)
    assert set(found) == {"main", "fb-0", "fb-2"}
    assert found["fb-0"]["metrics"]["metrics/eval/single.json"]["dev_ppl"] == 160.0 and found["main"]["rev"] == "abc"
    assert found["fb-2"]["rev"] == "jkl"
