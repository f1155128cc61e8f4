"""The four forms of regulated verse (近体诗): 五绝, 七绝, 五律 and 七律.

A form is a shape: 4 or 8 lines of 5 or 7 characters, `，` after odd lines and
`。` after even ones. The shape alone decides the form of a pasted poem; the
tones decide whether it keeps the form's rules (meter.py).
"""

from dataclasses import dataclass

import numpy as np

from .errors import TangshiError


@dataclass(frozen=True)
class Form:
    key: str  # folder and parameter name: wujue, qijue, wulv, qilv
    name: str  # 五绝, 七绝, 五律, 七律
    lines: int
    chars: int

    @property
    def tokens(self) -> int:
        """Tokens of a poem between `*` and `$`: its characters and one punctuation mark a line."""
        return self.lines * (self.chars + 1)

    @property
    def folder(self) -> str:
        """Its Tang split under data/corpus/ and data/encoded/: the large set for 五律, its key otherwise."""
        return "large" if self.name == "五律" else self.key

    @property
    def shape(self) -> str:
        return f"{self.lines} lines of {self.chars} characters"

    def line_starts(self) -> list[int]:
        """Token position (after the start token) of each line's first character."""
        return [line * (self.chars + 1) for line in range(self.lines)]


FORMS = (Form("wujue", "五绝", 4, 5), Form("qijue", "七绝", 4, 7), Form("wulv", "五律", 8, 5), Form("qilv", "七律", 8, 7))
BY_NAME = {f.name: f for f in FORMS} | {f.key: f for f in FORMS}
WULV = BY_NAME["五律"]  # the form of the report: the five variants and the normal/large sets are 五律
NAMES = "、".join(f.name for f in FORMS)


def get_form(name: str) -> Form:
    """A form by its name (五绝) or key (wujue)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise TangshiError(f"unknown form {name!r}: choose one of {NAMES} (or {', '.join(f.key for f in FORMS)})")


def form_of_shape(lines: int, chars: int) -> Form | None:
    return next((f for f in FORMS if f.lines == lines and f.chars == chars), None)


def form_index(form: Form) -> int:
    return FORMS.index(form)


def form_token_id(vocab_size: int, form: Form) -> int:
    """The input id of a form's token for a poet of every form: the form tokens follow the dictionary."""
    return vocab_size + form_index(form)


def with_start(ids: np.ndarray, start_id: int) -> np.ndarray:
    """(N, T) encoded poems with their first token, `*`, replaced by `start_id` (a poet's start_id(form))."""
    out = ids.copy()
    out[:, 0] = start_id
    return out


def verse_with_form_tokens(ids: np.ndarray, offsets: np.ndarray, forms: np.ndarray, vocab_size: int) -> np.ndarray:
    """The verse stream with the `*` of each poem shaped like one of the forms (forms[i] >= 0, its index in
    FORMS) replaced by that form's token; other poems (排律, 古体) keep `*`."""
    out = ids.copy()
    shaped = forms >= 0
    out[offsets[:-1][shaped]] = vocab_size + forms[shaped].astype(ids.dtype)
    return out
