"""Reading params.yaml and checking a value against its allowed choices."""

from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import TangshiError


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run from the project root, where params.yaml lives")


def choose(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return `value` if it is one of `choices`, else fail naming the valid ones."""
    choices = list(choices)
    if value not in choices:
        raise TangshiError(f"unknown {name} {value!r}: choose one of {', '.join(choices)}")
    return value
