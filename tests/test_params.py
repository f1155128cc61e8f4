"""params.yaml refuses nonsense: every key each stage reads, given a value of the wrong type, stops the stage
with one line naming that key and what it takes; the committed params pass."""

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tangshi.errors import TangshiError
from tangshi.params import SCHEMA, MODEL, Rule, check_params, load_params

ROOT = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def stage_keys() -> list[tuple[str, str]]:
    """(stage, dotted key) for every param every stage of dvc.yaml lists, foreach keys spelt out per variant."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    pairs = []
    for name, stage in stages.items():
        body = stage.get("do", stage)
        for key in body.get("params", []):
            key = key if isinstance(key, str) else next(iter(key))
            if "${key}" in key:
                pairs += [(f"{name}@{v}", key.replace("${key}", v)) for v in PARAMS["models"]]
            else:
                pairs.append((name, key))
    return pairs


def rule_of(key: str) -> Rule | dict:
    parts = key.split(".")
    if parts[0] == "models":  # models.<variant>.<key>, or the whole mapping (the report stage)
        return MODEL[parts[2]] if len(parts) == 3 else MODEL
    rule = SCHEMA
    for part in parts:
        rule = rule[part]
    return rule


def wrong_value(rule: Rule | dict):
    """A value of the wrong type for `rule`: text where it takes a number or a flag, a number where it takes text."""
    if isinstance(rule, dict):
        return "lots"
    for candidate in ("lots", 12345, [1], {"a": 1}):
        if not rule.check(candidate):
            return candidate
    raise AssertionError(f"{rule.says} takes anything")


def set_key(params: dict, key: str, value) -> dict:
    params = copy.deepcopy(params)
    *path, last = key.split(".")
    node = params
    for part in path:
        node = node[part]
    node[last] = value
    return params


def test_every_stage_reads_only_checked_keys():
    keys = stage_keys()
    assert len({stage for stage, _ in keys}) >= 10
    for _, key in keys:
        rule_of(key)  # a KeyError names a key that the schema does not check


@pytest.mark.parametrize("stage,key", stage_keys(), ids=lambda x: x)
def test_a_wrong_type_is_refused_naming_the_key(stage, key, tmp_path):
    bad = wrong_value(rule_of(key))
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(set_key(PARAMS, key, bad), allow_unicode=True), encoding="utf-8")
    with pytest.raises(TangshiError) as err:
        load_params(path)
    message = str(err.value)
    assert "\n" not in message and key in message and repr(bad) in message, message


@pytest.mark.parametrize("key,value,says", [
    ("corpus.normal_poems", -5, "an integer >= 1"),
    ("corpus.dev_share", 1.5, "a number > 0 and <= 1"),
    ("sample.best_of", 0, "an integer >= 1 and <= 32"),
    ("sample.starts", "ab", "Chinese characters"),
    ("models.poet.dropout", 1.0, "< 1"),
    ("models.poet.condition.blank", 2, "<= 1"),
    ("train.optimizer", "lion", "one of sgd, momentum, adagrad, rmsprop, adam"),
    ("models.single.patience", True, "an integer >= 0 or null"),
])
def test_out_of_range_is_refused_with_what_it_takes(key, value, says):
    with pytest.raises(TangshiError, match=f"^{key} takes .*{says}"):
        check_params(set_key(PARAMS, key, value))


def test_missing_and_misspelt_keys_are_named():
    with pytest.raises(TangshiError, match="unknown key corpus.normal_poem: did you mean corpus.normal_poems"):
        check_params(set_key(PARAMS, "corpus.normal_poem", 300))
    without = copy.deepcopy(PARAMS)
    del without["meter"]
    with pytest.raises(TangshiError, match="params.yaml has no meter"):
        check_params(without)


def test_the_committed_params_pass():
    check_params(PARAMS)


def test_a_stage_given_nonsense_exits_with_one_line(tmp_path):
    """The corpus stage run as DVC runs it: exit 1, one line on stderr, nothing written."""
    shutil.copytree(ROOT / "stages", tmp_path / "stages")
    (tmp_path / "params.yaml").write_text(
        yaml.safe_dump(set_key(PARAMS, "corpus.normal_poems", "lots"), allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([sys.executable, "stages/corpus.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().split("\n") == ["error: corpus.normal_poems takes an integer >= 1, not 'lots': fix it in params.yaml"]
    assert not (tmp_path / "data").exists() and not (tmp_path / "metrics").exists()
