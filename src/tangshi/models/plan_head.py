"""The plan head: how a poet told a keyword for each line (a plan, data/keywords.py) writes the line to it.

At every step of line i it adds a learned boost b_j to the score of each
character c_j of line i's keyword and renormalises:

    p'(c) = p(c) · exp(Σ_j b_j [c = c_j]) / Z,   Z = 1 − Σ_j p(c_j) + Σ_j p(c_j) · exp(b_j)

where p is the language model's own distribution. b_j comes from a small
network reading the model's state h (detached), the character's embedding
(detached), the place in the line and whether c_j (or the keyword's other
character) is already written in it — so it learns to push the keyword in
where it fits, to finish a word once begun, and to let go once it is written.

It is trained on the model's own predictions held fixed: the language model
learns every token exactly as it would told nothing, and the head learns
what the plan adds. The first way measured — the keyword's embedding beside
every input of its line, the LSTM trained on it with half the lines blanked —
halved the dev perplexity told the plan but cost 7% told nothing (70.5 against
65.7): a model that is told a line's subject half the time learns less of how
to guess it. Here, told nothing, the poet is the plain poet.
"""

import torch
from torch import nn

from ..data.conditions import KEYWORD_CHARS, NO_KEYWORD
from ..data.batching import MARKS

COLUMNS = 8  # places in a line the head tells apart (a 七言 line and its mark)
FEATURES = COLUMNS + 2  # the place, and whether this character and the keyword's other are written
WIDTH = 64  # the head's hidden units


def line_numbers(ids: torch.Tensor) -> torch.Tensor:
    """(T, B) input ids -> (T, B) the line (0-based) of the token each input predicts: the marks read so far,
    input 0 (the start token, or the `。` a verse piece starts with) not counted. The mark ending a line belongs
    to it; `$` after the last line is line `lines`."""
    marks = is_mark(ids)
    marks[0] = False
    return marks.long().cumsum(0)


def is_mark(ids: torch.Tensor) -> torch.Tensor:
    return (ids == MARKS[0]) | (ids == MARKS[1])


class PlanHead(nn.Module):
    def __init__(self, hidden: int, embed_dim: int, slots: int):
        super().__init__()
        self.slots = slots
        self.state = nn.Linear(hidden, WIDTH)
        self.char = nn.Linear(embed_dim, WIDTH, bias=False)
        self.place = nn.Linear(FEATURES, WIDTH, bias=False)
        self.out = nn.Linear(WIDTH, 1)

    def keyword_ids(self, condition: torch.Tensor) -> torch.Tensor:
        """(B, width) encoded rows -> (B, slots + 1, 2) each line's keyword characters, NO_KEYWORD for none
        (and for the row past the last slot, where `$` and anything after it fall)."""
        ids = condition[:, condition.shape[1] - KEYWORD_CHARS * self.slots :].reshape(len(condition), self.slots, KEYWORD_CHARS)
        return torch.cat([ids, ids.new_full((len(condition), 1, KEYWORD_CHARS), NO_KEYWORD)], 1)

    def boosts(self, h: torch.Tensor, chars: torch.Tensor, embed: nn.Embedding, column: torch.Tensor,
               written: torch.Tensor) -> torch.Tensor:
        """(..., H) states, (..., 2) keyword characters, (...) places in the line, (..., 2) whether each is
        written -> (..., 2) the boost of each character (0 where there is none)."""
        has = chars != NO_KEYWORD
        place = nn.functional.one_hot(column.clamp(0, COLUMNS - 1), COLUMNS).to(h.dtype)
        own = written.to(h.dtype)
        features = torch.cat([place[..., None, :].expand(*chars.shape, COLUMNS), own[..., None], own.flip(-1)[..., None]], -1)
        hidden = self.state(h.detach())[..., None, :] + self.char(embed(chars.clamp(min=0)).detach()) + self.place(features)
        return self.out(torch.tanh(hidden)).squeeze(-1) * has

    def sequence(self, ids: torch.Tensor, condition: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(T, B) inputs -> for each input, the keyword characters of its target's line (T, B, 2), its place in
        the line (T, B: the characters read since the line began) and whether each keyword character is already
        written in the line (T, B, 2). The rules write_state applies one step at a time."""
        T = ids.shape[0]
        line = line_numbers(ids).clamp(max=self.slots)
        table = self.keyword_ids(condition)  # (B, S + 1, 2)
        chars = table.gather(1, line.T[..., None].expand(-1, -1, KEYWORD_CHARS)).transpose(0, 1)  # (T, B, 2)
        steps = torch.arange(T, device=ids.device)[:, None].expand_as(ids)
        boundary = is_mark(ids)
        boundary[0] = True
        begun = torch.where(boundary, steps, 0).cummax(0).values  # the mark (or start) the line began after
        column = steps - begun
        seen = (ids[..., None] == chars) & (chars != NO_KEYWORD)  # (T, B, 2) input t is keyword character j
        # characters of the line read so far: counts since the line began (the mark itself is never a keyword)
        counts = seen.long().cumsum(0)
        before = counts.gather(0, begun[..., None].expand_as(counts))
        return chars, column, (counts - before) > 0

    def start(self, condition: torch.Tensor) -> dict:
        """What writing step by step keeps: each poem's keyword table, line, place and written flags."""
        B = len(condition)
        return {"table": self.keyword_ids(condition), "line": condition.new_zeros(B), "column": condition.new_full((B,), -1),
                "written": condition.new_zeros((B, KEYWORD_CHARS), dtype=torch.bool)}

    def step(self, ids: torch.Tensor, kept: dict) -> tuple[dict, torch.Tensor]:
        """Read one input (B,): the new state and this step's keyword characters (B, 2)."""
        mark = is_mark(ids)
        line = kept["line"] + mark
        column = torch.where(mark, 0, kept["column"] + 1)
        rows = torch.arange(len(ids), device=ids.device)
        chars = kept["table"][rows, line.clamp(max=self.slots)]
        written = (kept["written"] & ~mark[:, None]) | ((ids[:, None] == chars) & (chars != NO_KEYWORD))
        return {**kept, "line": line, "column": column, "written": written}, chars


def boost_scores(scores: torch.Tensor, chars: torch.Tensor, boosts: torch.Tensor) -> torch.Tensor:
    """(..., V) scores (logits or log-probabilities) -> log-probabilities with each keyword character's boost."""
    has = chars != NO_KEYWORD
    added = torch.zeros_like(scores).scatter_add_(-1, chars.clamp(min=0), (boosts * has).to(scores.dtype))
    return torch.log_softmax(scores + added, -1)


def planned_nll(nll: torch.Tensor, targets: torch.Tensor, chars_log_probs: torch.Tensor, chars: torch.Tensor,
                boosts: torch.Tensor) -> torch.Tensor:
    """The NLL (N,) of targets (N,) under the boosted distribution, from their NLL (N,) under the model and the
    keyword characters' log-probabilities (N, 2) under it (see the module's doc)."""
    has = chars != NO_KEYWORD
    boosts = boosts * has
    hit = ((targets[:, None] == chars) & has).to(boosts.dtype)
    rest = torch.log1p(-(chars_log_probs.exp() * has).sum(-1).clamp(max=1 - 1e-6))
    log_z = torch.logsumexp(torch.cat([rest[:, None], torch.where(has, chars_log_probs + boosts, -torch.inf)], -1), -1)
    return nll - (hit * boosts).sum(-1) + log_z
