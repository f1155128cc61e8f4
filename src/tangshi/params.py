"""Reading params.yaml, every value checked against what it may take, and checking one value's choices.

Each stage reads its params through `load_params`, so every key is checked, type and range, before any
stage uses it: a wrong one stops the stage with one line naming the key, what it takes and what it found
(`corpus.normal_poems takes an integer >= 1, not 'lots'`), where it would otherwise fail deep inside.
"""

import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from .errors import TangshiError


@dataclass(frozen=True)
class Rule:
    """What one param takes: `check(value)` is true for a good value; `says` completes '<key> takes …'."""

    says: str
    check: Callable[[Any], bool]
    optional: bool = False  # the key may be missing (the code has a default)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def integer(lo: int | None = None, hi: int | None = None, nullable: bool = False, optional: bool = False) -> Rule:
    bounds = (f" >= {lo}" if lo is not None else "") + (f" and <= {hi}" if hi is not None else "")
    ok = lambda v: _is_int(v) and (lo is None or v >= lo) and (hi is None or v <= hi)  # noqa: E731
    return Rule(f"an integer{bounds}" + (" or null" if nullable else ""), (lambda v: v is None or ok(v)) if nullable else ok,
                optional)


def number(lo: float, hi: float | None = None, above: bool = False, nullable: bool = False, optional: bool = False) -> Rule:
    says = f"a number {'>' if above else '>='} {lo}" + (f" and <= {hi}" if hi is not None else "")
    ok = lambda v: _is_num(v) and (v > lo if above else v >= lo) and (hi is None or v <= hi)  # noqa: E731
    return Rule(says + (" or null" if nullable else ""), (lambda v: v is None or ok(v)) if nullable else ok, optional)


def one_of(*choices: Any, optional: bool = False) -> Rule:
    return Rule("one of " + ", ".join(map(str, choices)), lambda v: isinstance(v, (str, bool)) and v in choices, optional)


def text(optional: bool = False) -> Rule:
    return Rule("a non-empty string", lambda v: isinstance(v, str) and v.strip() != "", optional)


def hanzi(optional: bool = False) -> Rule:
    return Rule("a string of Chinese characters", lambda v: isinstance(v, str) and v != "" and all("\u3400" <= c <= "\u9fff" for c in v),
                optional)


def flag(optional: bool = False) -> Rule:
    return Rule("true or false", lambda v: isinstance(v, bool), optional)


def names(optional: bool = False) -> Rule:
    return Rule("a list of non-empty strings", lambda v: isinstance(v, list) and v != [] and all(isinstance(s, str) and s for s in v),
                optional)


def prompts(optional: bool = False) -> Rule:
    def ok(v: Any) -> bool:
        return isinstance(v, list) and all(
            isinstance(p, dict) and set(p) <= {"title", "poet"} and p and all(isinstance(s, str) and s for s in p.values())
            for p in v
        )
    return Rule("a list of {title, poet} entries (strings; either may be left out)", ok, optional)


CONDITION = {
    "min_poems": integer(1),
    "title_chars": integer(1),
    "title_words": integer(0),
    "blank": number(0, 1),
    "keywords": flag(optional=True),
}

MODEL = {
    "impl": one_of("numpy", "autograd", "torch"),
    "layers": integer(1, 8),
    "hidden": integer(1),
    "dropout": Rule("a number >= 0 and < 1", lambda v: _is_num(v) and 0 <= v < 1),
    "tie": flag(),
    "corpus": one_of("normal", "large", "forms"),
    "verse_epochs": number(0),
    "schedule": one_of("constant", "cosine"),
    "tang_decay": number(0, 1, above=True),
    "embedding": one_of("train", "finetune", "frozen", "none"),
    "dictionary": one_of("shared", "poet"),
    "output": one_of("full", "adaptive"),
    "shortlist": integer(1),
    "patience": integer(0, nullable=True),
    "epochs": integer(1, nullable=True),
    "aligned": flag(),
    "condition": Rule("null or a mapping of min_poems, title_chars, title_words, blank and keywords",
                      lambda v: v is None or isinstance(v, dict)),
}

SCHEMA: dict[str, Any] = {
    "seed": integer(0),
    "corpus": {"source": text(), "normal_poems": integer(1), "dev_share": number(0, 1, above=True)},
    "pretrain": {"dim": integer(1), "window": integer(1), "min_count": integer(1), "negative": integer(0),
                 "epochs": integer(1), "workers": integer(1)},
    "vocab": {"size": integer(1), "oov": one_of("random", "token")},
    "poet_vocab": {"min_count": integer(1)},
    "embed": {"vectors": text()},
    "train": {"seed": integer(0), "optimizer": one_of("sgd", "momentum", "adagrad", "rmsprop", "adam"),
              "lr": number(0, above=True), "batch_size": integer(1), "epochs": integer(1), "patience": integer(0),
              "clip": number(0), "embedding": one_of("finetune", "frozen", "none"), "forget_bias": number(-10, 10),
              "device": text(), "processes": integer(1), "compile": flag()},
    "keywords": {"size": integer(1), "min_count": integer(1), "word_pmi": number(0), "plan_floor": integer(1),
                 "plan_prior": number(0, 1)},
    "meter": {"ambiguous_share": number(0, 0.5)},
    "parallel": {"min_count": integer(1), "rank": integer(1), "fit_share": number(0, 1, above=True)},
    "sample": {"starts": hanzi(), "per_start": integer(1), "constrain": one_of("none", "form", "meter"),
               "acrostic": hanzi(), "best_of": integer(1, 32), "temperature": number(0, 3, above=True),
               "top_k": integer(0), "top_p": number(0, 1, above=True), "weights": one_of("best", "last"),
               "prompts": prompts(optional=True), "per_prompt": integer(1, optional=True),
               "guidance": number(0, 10, optional=True), "repeat_penalty": number(0, 20, optional=True),
               "discount": number(0, 2, optional=True), "slor": number(0, 2, optional=True),
               "cohesion": number(0, 10, optional=True)},
    "told": {"poets": names(), "per_poet": integer(1), "titles": integer(1)},
}


def check_params(params: Any, schema: dict = SCHEMA, prefix: str = "") -> None:
    """Fail with one line naming the first key that is missing, unknown or of the wrong type or range."""
    where = prefix.rstrip(".") or "params.yaml"
    if not isinstance(params, dict):
        raise TangshiError(f"{where} takes a mapping of keys, not {params!r}: see params.yaml in the repository")
    for key, rule in schema.items():
        name = prefix + key
        if key not in params:
            if isinstance(rule, Rule) and rule.optional:
                continue
            raise TangshiError(f"params.yaml has no {name}: add it (the repository's params.yaml shows each key)")
        value = params[key]
        if isinstance(rule, dict):
            check_params(value, rule, name + ".")
        elif not rule.check(value):
            raise TangshiError(f"{name} takes {rule.says}, not {value!r}: fix it in params.yaml")
    known = set(schema) | ({"models"} if schema is SCHEMA else set())  # models: a variant's name is free
    for key in sorted(set(params) - known):
        near = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"did you mean {prefix}{near[0]}?" if near else "remove it"
        raise TangshiError(f"params.yaml has an unknown key {prefix}{key}: {hint}")
    if schema is SCHEMA:
        check_models(params.get("models"))


def check_models(models: Any) -> None:
    if not isinstance(models, dict) or not models:
        raise TangshiError(f"models takes a mapping of variant names to their settings, not {models!r}: fix it in params.yaml")
    for variant, cfg in models.items():
        check_params(cfg, MODEL, f"models.{variant}.")
        if cfg["condition"] is not None:
            check_params(cfg["condition"], CONDITION, f"models.{variant}.condition.")


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            params = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run from the project root, where params.yaml lives")
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise TangshiError(f"{path} is not valid YAML{where}: fix the syntax there")
    check_params(params)
    return params


def choose(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return `value` if it is one of `choices`, else fail naming the valid ones."""
    choices = list(choices)
    if value not in choices:
        raise TangshiError(f"unknown {name} {value!r}: choose one of {', '.join(choices)}")
    return value
