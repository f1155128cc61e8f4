"""Keeping a plan: every line written to a keyword holds it — a character, or a two-character word written whole.

The plan head (models/plan_head.py) leans the poet toward each line's keyword,
and a lean is not a promise: told the dev poems' own keywords, the poet wrote
30% of lines without theirs, and wrote a two-character word as a word in 33–49%
of lines though both its characters stood in the line 70–85% of the time
(秋风 → 风劲秋光断). A user who gives 孤舟 wants 孤舟. And a later line's keyword
written early is written twice: planned poems repeated characters 2.7–3.0% of
the time, real ones 1.3–2.0%.

This is lexically constrained decoding at its simplest (Hokamp & Liu 2017 place
given words with a grid beam search; a poem's line is short enough for a
deadline). The poet places the keyword where it likes. A word's characters are
written as the word: its first only where its second may follow, its second
only right after its first, which it then follows at once (秋 → 秋风); a later
line's keyword waits for its line. And when
the line reaches the last place where the keyword still fits the line's tones,
the keyword is written there. A place fits when the character meets the
requirement every way the meter may resolve there (a place decided while
writing counts as its strictest), so a forced character never breaks the meter.
The likelihood of a forced keyword is counted in the draft's NLL: best-of-N
prefers the drafts where the poet placed it itself.
"""

import numpy as np
import torch

from ..data.conditions import KEYWORD_CHARS, NO_KEYWORD, keyword_ids
from ..data.vocab import Vocab
from ..forms import Form


def token_keywords(plans: list[list[str | None] | None], vocab: Vocab, form: Form, steps: int) -> np.ndarray:
    """(B, steps, 2) the keyword characters of the line each token position belongs to (NO_KEYWORD at marks,
    past the last line and for a line told none)."""
    out = np.full((len(plans), steps, KEYWORD_CHARS), NO_KEYWORD, dtype=np.int64)
    for b, plan in enumerate(plans):
        for line, ids in enumerate(keyword_ids(plan or [], vocab)):
            start = line * (form.chars + 1)
            out[b, start : start + form.chars] = ids
    return out


def starts(chars: np.ndarray, fits: np.ndarray) -> np.ndarray:
    """(B, steps) where each line's keyword may begin: its (first) character fits there and, for a word, its
    second character fits right after, in the same line."""
    word = chars[..., 1] >= 0
    fits = fits & (chars >= 0)
    second = np.zeros_like(fits[..., 1])
    second[:, :-1] = fits[:, 1:, 1] & (chars[:, 1:, 0] == chars[:, :-1, 0])
    return (chars[..., 0] >= 0) & fits[..., 0] & (~word | second)


class KeywordKeeper:
    """Step by step: which keyword characters a poem may not write now (banned), and which one it must (due:
    its deadline, or a word's second character). `chars` (B, steps, 2) comes from token_keywords; `fits`
    (B, steps, 2) says whether each of them may stand at that token whatever the meter decides there."""

    def __init__(self, chars: np.ndarray, fits: np.ndarray, form: Form, device: torch.device):
        self.form = form
        self.chars = torch.as_tensor(chars, device=device)
        begins = starts(chars, fits)
        # the last place of its line where the keyword may begin: no place after it (a reversed count per line)
        width = form.chars + 1
        B, steps = begins.shape
        padded = np.zeros((B, -(-steps // width) * width), dtype=np.int64)
        padded[:, :steps] = begins
        per_line = padded.reshape(B, -1, width)
        after = per_line[..., ::-1].cumsum(-1)[..., ::-1] - per_line
        placeable = np.repeat(per_line.any(-1), width, axis=1)[:, :steps]  # the line has a place for it
        self.begins = torch.as_tensor(begins, device=device)
        self.placeable = torch.as_tensor(placeable, device=device)
        self.last_start = torch.as_tensor(begins & (after.reshape(B, -1)[:, :steps] == 0), device=device)
        # the keywords of the lines after each token's line, less its own line's characters
        own = chars[:, : form.tokens : width]  # (B, lines, 2)
        ahead = np.full((B, steps, KEYWORD_CHARS * form.lines), NO_KEYWORD, dtype=np.int64)
        for line in range(form.lines):
            later = own[:, line + 1 :].reshape(B, -1)
            later = np.where((later[..., None] == own[:, line, None, :]).any(-1), NO_KEYWORD, later)
            ahead[:, line * width : (line + 1) * width, : later.shape[1]] = later[:, None]
        self.ahead = torch.as_tensor(ahead, device=device)
        self.done = torch.zeros(B, dtype=torch.bool, device=device)
        self.begun = torch.zeros(B, dtype=torch.bool, device=device)

    def banned(self, k: int) -> torch.Tensor:
        """(B, 2 + 2·lines) the characters a poem may not write at token k (NO_KEYWORD for none): a word's
        characters outside the word until it is written — its first where the word cannot begin, its second
        unless it follows the first — so that 孤 at a place where 舟 may not follow does not leave 孤…孤舟 (a line
        with no place for its word bans nothing); and the keywords of the lines still to come, so that each
        first stands in its own line and is not written twice (人间 in line 3 before line 4's 人)."""
        c1, c2 = self.chars[:, k, 0], self.chars[:, k, 1]
        if k % (self.form.chars + 1) == 0:  # a line begins: nothing of its keyword is written yet
            self.done = c1 == NO_KEYWORD
            self.begun = torch.zeros_like(self.begun)
        open_word = (c2 != NO_KEYWORD) & ~self.done & ~self.begun & self.placeable[:, k]
        first = torch.where(open_word & ~self.begins[:, k], c1, NO_KEYWORD)
        second = torch.where(open_word & ((c2 != c1) | ~self.begins[:, k]), c2, NO_KEYWORD)
        return torch.cat([first[:, None], second[:, None], self.ahead[:, k]], 1)

    def due(self, k: int, allowed: torch.Tensor | None) -> torch.Tensor:
        """(B,) the character each poem must write at token k, -1 where it may write what it likes; `allowed`
        (B or 1, V) is the step's mask, which a forced character must pass. Call after banned(k)."""
        c1, c2 = self.chars[:, k, 0], self.chars[:, k, 1]
        finish = self.begun & ~self.done
        place = ~self.done & ~self.begun & self.last_start[:, k]
        want = torch.where(finish, c2, torch.where(place, c1, NO_KEYWORD))
        if allowed is not None:
            ok = allowed.expand(len(want), -1).gather(1, want.clamp(min=0)[:, None]).squeeze(1)
            want = torch.where(ok, want, NO_KEYWORD)
        return want

    def wrote(self, k: int, written: torch.Tensor) -> None:
        """Read the tokens (B,) written at k."""
        c1, c2 = self.chars[:, k, 0], self.chars[:, k, 1]
        word = c2 != NO_KEYWORD
        self.done = self.done | (~word & (written == c1) & (c1 != NO_KEYWORD)) | (word & self.begun & (written == c2))
        self.begun = word & ~self.done & (written == c1)
