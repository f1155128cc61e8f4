"""Set-level measures of written poems: judge pass rates, diversity, repetition, copying."""

import math
from dataclasses import dataclass
from typing import Iterable

from ..data.corpus import VERSE_CHARS, detect_form, poem_lines
from .meter import Judgement, rule_rates


def distinct_n(poems: list[str], n: int) -> float:
    """Distinct n-grams (within lines) over all n-grams of the set."""
    grams = [line[i : i + n] for poem in poems for line in lines_of(poem) for i in range(len(line) - n + 1)]
    return len(set(grams)) / max(len(grams), 1)


def lines_of(poem: str) -> list[str]:
    """The character lines of a poem; a malformed one is split at its punctuation."""
    if detect_form(poem) is not None:
        return poem_lines(poem)
    return [part for part in poem.replace("。", "，").split("，") if part]


def repeat_rate(poems: list[str]) -> float:
    """Mean share of a poem's characters that repeat an earlier character of the same poem."""
    rates = []
    for poem in poems:
        chars = [c for line in lines_of(poem) for c in line]
        if chars:
            rates.append(1 - len(set(chars)) / len(chars))
    return sum(rates) / max(len(rates), 1)


@dataclass
class Reference:
    """The real poems a generated line or poem counts as copied from (built once: the verse has 1.2 M lines)."""

    lines: frozenset[str]
    poems: frozenset[str]

    @classmethod
    def of(cls, poems: Iterable[str]) -> "Reference":
        poems = frozenset(poems)
        return cls(frozenset(line for poem in poems for line in poem_lines(poem)), poems)


def copy_rates(poems: list[str], reference: "Reference | list[str]") -> dict:
    """Share of generated 5- and 7-character lines, and of whole poems, found verbatim in the reference poems."""
    if not isinstance(reference, Reference):
        reference = Reference.of(reference)
    lines = [line for poem in poems for line in lines_of(poem) if len(line) in VERSE_CHARS]
    return {
        "copied_lines": sum(line in reference.lines for line in lines) / max(len(lines), 1),
        "copied_poems": sum(poem in reference.poems for poem in poems) / max(len(poems), 1),
    }


def character_use(poems: list[str], shared=None) -> dict:
    """How many distinct characters the poems use and, given the shared dictionary (a Vocab), the share of their
    characters outside it (those a poet of the shared dictionary could never write)."""
    chars = [c for poem in poems for line in lines_of(poem) for c in line]
    out = {"distinct_chars": len(set(chars))}
    if shared is not None:
        out["outside_shared"] = round(sum(c not in shared for c in chars) / max(len(chars), 1), 5)
    return out


def set_metrics(judgements: list[Judgement], reference: "Reference | list[str]", chosen_nll: float | None = None,
                chosen: int = 0, shared=None) -> dict:
    poems = [j.poem for j in judgements]
    rates = rule_rates(judgements)
    metrics = {
        "poems": len(poems),
        "form_valid": rates["form"],
        "rhyme_valid": rates["rhyme"],
        "tone_valid": rates["tone_valid"],
        "meter_valid": rates["meter_valid"],
        "rules": {k: round(v, 5) for k, v in rates.items() if k not in ("tone_valid", "meter_valid")},
        "distinct_1": distinct_n(poems, 1),
        "distinct_2": distinct_n(poems, 2),
        "repeat_rate": repeat_rate(poems),
        **copy_rates(poems, reference),
        **character_use(poems, shared),
    }
    if chosen_nll is not None:
        metrics["chosen_ppl_chars"] = math.exp(chosen_nll / max(chosen, 1))
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in metrics.items()}
