"""The torch poets: embedding, dropout, an LSTM core (nn.LSTM or the hand-written cell), output layer."""

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from ..data.batching import PAD
from ..data.conditions import ANY_POET, KEYWORD_CHARS, NO_KEYWORD, NO_TITLE, POET_DIM
from .plan_head import PlanHead, boost_scores, is_mark, planned_nll
from ..errors import TangshiError
from ..params import choose
from .cell import HandLSTM, layer_weights

IMPLS = ("numpy", "autograd", "torch")
EMBEDDINGS = ("finetune", "frozen", "none")
OUTPUTS = ("full", "adaptive")
ADAPTIVE_DIV = 4.0  # the tail cluster's vectors are hidden/4 wide
NO_ALIGNED = -1  # the aligned id of a position that has none
CONDITION_INIT = 0.1  # the poet's and title words' vectors start at about the character vectors' scale (0.16 an entry)


def aligned_source(chars: int, k: int) -> int | None:
    """For token position k (after the start token) of a couplet's second line in lines of `chars` characters,
    the position of the first line's character at its place (对仗 aligns them: 明月/清泉); None elsewhere.
    The rule aligned_inputs applies to whole sequences, one position at a time, for writing."""
    line, col = divmod(k, chars + 1)
    return k - (chars + 1) if line % 2 == 1 and col < chars else None


def aligned_inputs(ids: torch.Tensor) -> torch.Tensor:
    """(T, B) input ids -> (T, B) the id of the character aligned with each step's target, NO_ALIGNED where none.

    Input i predicts the poem's token i (token 0 follows the start token). When
    that token is a character of a couplet's second line (an odd line, lines of c
    characters and a mark each), its aligned character is the one at the same
    place of the line before: token i - (c+1), read as input i - c. c comes from
    the first mark after input 0 (a verse piece may start with the `。` that
    ended the piece before; pieces are cut at whole couplets). Every line of a
    sequence has one length: the verse corpus keeps poems wholly of 5 or 7.
    """
    T = ids.shape[0]
    punct = is_mark(ids)
    punct[0] = False
    found = punct.any(0)
    chars = punct.int().argmax(0) - 1  # (B,) characters a line
    i = torch.arange(T, device=ids.device)[:, None]
    period = (chars + 1).clamp(min=1)
    keep = found & (chars > 0) & ((i // period) % 2 == 1) & (i % period < chars)
    source = ids.gather(0, (i - chars).clamp(0, T - 1).expand(T, -1))
    return torch.where(keep, source, NO_ALIGNED)



@dataclass
class WritingState:
    """Per-layer hidden and cell states (B, H) while writing, and the optional input-projection table."""

    h: list[torch.Tensor]
    c: list[torch.Tensor]
    table: torch.Tensor | None
    aligned_table: torch.Tensor | None = None
    condition: torch.Tensor | None = None  # (B, E): what each poem is told, added to every input
    condition_gates: torch.Tensor | None = None  # (B, 4H): the same through the first layer's input weights
    plan: dict | None = None  # a poet told a plan: its keyword table, line, place and written flags (plan_head.py)


class PoetLSTM(nn.Module):
    """ids (T, B) -> scores (T, B, V), or the NLL of given targets (T, B); dropout before the LSTM input
    and between layers.

    The output layer is `full` (a softmax over the whole dictionary) or `adaptive`
    (Grave et al. 2017, nn.AdaptiveLogSoftmaxWithLoss: the `shortlist` commonest
    tokens and one cluster token in the head, the rarer ones behind it in a tail
    of hidden/4-wide vectors), which keeps a 7k-character dictionary about as fast
    as a 2k one. With `tie` (full only), the output layer shares the embedding's
    matrix (Press & Wolf 2017): the last hidden state is projected to the
    embedding's width first, when the two differ. `start_tokens` more input rows
    follow the dictionary's: tokens that start a poem of one form (forms.py), read
    but never predicted, so the output stays vocab_size wide.

    With `aligned`, while it writes a couplet's second line the input at each
    step also carries the character at the same place of the first line
    (aligned_inputs): its embedding through a learned map that starts at zero,
    added to the character's own (so training starts from the plain poet). It
    gives the LSTM the alignment of 对仗 (明月/清泉) that its state cannot hold.

    With `poets` and `title_words` (how many of each it knows), every step's
    input also carries what the poem is told (data/conditions.py): a learned map,
    starting at zero, of the poet's own POET_DIM-wide vector (row 0: any poet)
    and the mean of the title words' own POET_DIM-wide vectors. In training each poem loses its poet,
    and apart from that its title, with probability `blank`, so that it also
    writes when told nothing. A vector beside every input rather than a prefix
    read first: it keeps speaking to the last line (a prefix fades), and it
    leaves every position and the aligned input as they are.

    With `keyword_slots`, the rows also tell each line's keyword (a plan: data/
    keywords.py), which the plan head (plan_head.py) reads: it boosts the
    keyword's characters while the line is written, trained on the model's own
    predictions held fixed, so that told nothing the poet is the plain poet.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden: int,
        layers: int,
        dropout: float,
        impl: str = "torch",
        embedding: str = "finetune",
        pretrained: np.ndarray | None = None,
        forget_bias: float = 0.0,
        tie: bool = False,
        start_tokens: int = 0,
        output: str = "full",
        shortlist: int = 2000,
        aligned: bool = False,
        poets: int | None = None,
        title_words: int = 0,
        blank: float = 0.0,
        keyword_slots: int = 0,
    ):
        super().__init__()
        choose("embedding mode", embedding, EMBEDDINGS)
        choose("torch implementation", impl, IMPLS[1:])
        choose("output layer", output, OUTPUTS)
        if output == "adaptive" and tie:
            raise TangshiError("the adaptive output layer has weights of its own: set tie: false with output: adaptive")
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size + start_tokens, embed_dim)
        if embedding != "none":
            if pretrained is None or pretrained.shape != (vocab_size, embed_dim):
                raise TangshiError("a pretrained embedding of shape (vocab, dim) is needed: run `dvc repro embed`")
            self.embed.weight.data[:vocab_size].copy_(torch.from_numpy(pretrained))
        elif tie:  # random rows of unit norm, not N(0, 1) per entry: the first logits stay of order one
            self.embed.weight.data.normal_(0.0, embed_dim**-0.5)
        self.embed.weight.requires_grad_(embedding != "frozen")
        self.drop = nn.Dropout(dropout)
        self.align = nn.Linear(embed_dim, embed_dim, bias=False) if aligned else None
        self.poet_embed = self.title_embed = self.condition = None
        self.blank = blank
        if poets is not None:
            self.poet_embed = nn.Embedding(poets + 1, POET_DIM)
            self.title_embed = nn.Embedding(max(title_words, 1), POET_DIM)
            self.condition = nn.Linear(2 * POET_DIM, embed_dim)
        self.keyword_slots = keyword_slots
        between = dropout if layers > 1 else 0.0
        if impl == "torch":
            self.lstm = nn.LSTM(embed_dim, hidden, layers, dropout=between)
        else:
            self.lstm = HandLSTM(embed_dim, hidden, layers, dropout=between)
        self.proj = nn.Linear(hidden, embed_dim, bias=False) if tie and hidden != embed_dim else None
        self.tie = tie
        self.adaptive = None
        if output == "adaptive":  # a small dictionary (tests) keeps a tail too: the shortlist is at most half of it
            cutoff = max(1, min(shortlist, vocab_size // 2))
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(hidden, vocab_size, [cutoff], div_value=ADAPTIVE_DIV)
        elif tie:  # the output layer is the embedding's first vocab_size rows and a bias of its own
            self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        else:
            self.out = nn.Linear(hidden, vocab_size)
        self.plan = PlanHead(hidden, embed_dim, keyword_slots) if keyword_slots else None
        self.reset_weights(forget_bias)

    @torch.no_grad()
    def reset_weights(self, forget_bias: float) -> None:
        """Weights ~ N(0, 2/fan_in), biases 0 but forget_bias on the forget gate's input bias."""
        H = self.lstm.hidden_size
        for name, p in self.lstm.named_parameters():
            if name.startswith("weight"):
                p.normal_(0.0, math.sqrt(2.0 / p.shape[1]))
            else:
                p.zero_()
                if name.startswith("bias_ih"):
                    p[H : 2 * H] = forget_bias
        if self.align is not None:
            self.align.weight.zero_()
        if self.condition is not None:  # at nn.Embedding's N(0, 1), the added vector outgrew the characters' own
            self.poet_embed.weight.normal_(0.0, CONDITION_INIT)  # (dev PP +12% in a trial), at this, it did not
            self.title_embed.weight.normal_(0.0, CONDITION_INIT)
            self.condition.weight.zero_()
            self.condition.bias.zero_()
        if self.proj is not None:
            self.proj.weight.normal_(0.0, math.sqrt(2.0 / H))
        if self.adaptive is not None:
            self.adaptive.reset_parameters()
        elif self.tie:
            self.out_bias.zero_()
        else:
            self.out.weight.normal_(0.0, math.sqrt(2.0 / H))
            self.out.bias.zero_()

    def head(self, y: torch.Tensor) -> torch.Tensor:
        """Scores over the dictionary from the last layer's hidden states (..., H) -> (..., V): logits of the full
        output layer, log-probabilities of the adaptive one (softmax takes both alike)."""
        if self.adaptive is not None:
            return self.adaptive.log_prob(y.reshape(-1, y.shape[-1])).view(*y.shape[:-1], self.vocab_size)
        if self.tie:
            return nn.functional.linear(y if self.proj is None else self.proj(y), self.embed.weight[: self.vocab_size], self.out_bias)
        return self.out(y)

    def log_probs_of(self, y: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        """(N, H) states, (N, K) tokens -> (N, K) their log-probabilities. The adaptive layer scores its head once
        and its tail only for the rows that ask for a tail token, never the whole (N, V) table."""
        if self.adaptive is None:
            return torch.log_softmax(self.head(y).float(), -1).gather(-1, chars)
        adaptive, cutoff = self.adaptive, self.adaptive.shortlist_size
        head = adaptive.head(y).float()  # (N, shortlist + 1): the shortlist and the tail cluster
        head = head - head.logsumexp(-1, keepdim=True)
        out = head.gather(-1, chars.clamp(max=cutoff))  # a tail token takes its cluster's log-probability …
        tail = chars >= cutoff
        rows = tail.any(-1)
        if rows.any():  # … plus its own within the tail
            inner = adaptive.tail[0](y[rows]).float()
            inner = inner - inner.logsumexp(-1, keepdim=True)
            within = inner.gather(-1, (chars[rows] - cutoff).clamp(min=0))
            out[rows] = out[rows] + torch.where(tail[rows], within, 0.0)
        return out

    def nll(self, y: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood (T, B) of the targets (T, B); 0 where a target is PAD. The adaptive
        layer scores the targets alone, never the whole dictionary."""
        if self.adaptive is None:
            scores = self.head(y)  # (T, B, V) read as T·B rows: softmax over contiguous rows, not a strided class dim
            return nn.functional.cross_entropy(scores.flatten(0, 1), targets.flatten(), ignore_index=PAD,
                                               reduction="none").view(targets.shape)
        flat, keep = targets.reshape(-1), (targets != PAD).reshape(-1)
        out = y.new_zeros(flat.shape)
        out[keep] = -self.adaptive(y.reshape(-1, y.shape[-1])[keep], flat[keep]).output
        return out.view(targets.shape)

    def forward(self, ids: torch.Tensor, state=None, targets: torch.Tensor | None = None,
                condition: torch.Tensor | None = None):
        """(scores (T, B, V), state), or with `targets` (T, B) their (nll (T, B), state); `condition` (B, width):
        what each poem is told (data/conditions.py; None: nothing)."""
        x = self.embed(ids)
        if self.align is not None:
            x = x + self.aligned_embedding(aligned_inputs(ids))
        if self.condition is not None:
            x = x + self.condition_vector(condition, ids.shape[1])[None]
        y, state = self.lstm(self.drop(x), state)
        planned = self.plan is not None and condition is not None
        if targets is None:
            return (self.planned_scores(ids, y, condition) if planned else self.head(y)), state
        nll = self.nll(y, targets)
        return (self.planned_nll(ids, y, targets, nll, condition) if planned else nll), state

    def planned_scores(self, ids: torch.Tensor, y: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """(T, B, V) log-probabilities with each line's keyword boosted (plan_head.py)."""
        chars, column, written = self.plan.sequence(ids, condition)
        return boost_scores(self.head(y), chars, self.plan.boosts(y, chars, self.embed, column, written))

    def planned_nll(self, ids: torch.Tensor, y: torch.Tensor, targets: torch.Tensor, nll: torch.Tensor,
                    condition: torch.Tensor) -> torch.Tensor:
        """(T, B) the NLL with each line's keyword boosted where a line is told one: its value the boosted
        distribution's, its gradient the model's own NLL's (the language model learns as if told nothing) and the
        boosted NLL's through the plan head alone."""
        chars, column, written = self.plan.sequence(ids, condition)
        told = (chars != NO_KEYWORD).any(-1) & (targets != PAD)
        if not told.any():
            return nll
        chars, h = chars[told], y[told]
        boosts = self.plan.boosts(h, chars, self.embed, column[told], written[told])
        with torch.no_grad():  # the keyword characters' probabilities under the model, held fixed
            lp = self.log_probs_of(h, chars.clamp(min=0))
        own = nll[told].detach()
        change = planned_nll(own, targets[told], lp, chars, boosts.float()) - own
        return nll + torch.zeros_like(nll).masked_scatter(told, change.to(nll.dtype))

    def aligned_embedding(self, aligned: torch.Tensor) -> torch.Tensor:
        """(...) aligned ids, NO_ALIGNED for none -> (..., E) what they add to the input (zeros for none)."""
        has = aligned != NO_ALIGNED
        return self.align(self.embed(aligned.clamp(min=0))) * has[..., None]

    def condition_vector(self, condition: torch.Tensor | None, batch: int) -> torch.Tensor:
        """(B, width) encoded rows, or None for told nothing -> (B, E) what they add to every input; in training
        mode each row loses its poet, and apart its title, with probability `blank`."""
        if condition is None:
            condition = torch.full((batch, 2), NO_TITLE, dtype=torch.long, device=self.embed.weight.device)
            condition[:, 0] = ANY_POET
        poet, title = condition[:, 0], condition[:, 1 : condition.shape[1] - KEYWORD_CHARS * self.keyword_slots]
        if self.training and self.blank > 0:
            draws = torch.rand(2, len(condition), device=condition.device)
            poet = poet.masked_fill(draws[0] < self.blank, ANY_POET)
            title = title.masked_fill((draws[1] < self.blank)[:, None], NO_TITLE)
        has = (title != NO_TITLE)[..., None]
        pooled = (self.title_embed(title.clamp(min=0)) * has).sum(1) / has.sum(1).clamp(min=1)
        return self.condition(torch.cat([self.poet_embed(poet), pooled], -1))

    @torch.no_grad()
    def writing_state(self, batch: int, steps: int, condition: torch.Tensor | None = None) -> WritingState:
        """Zero state for writing `batch` poems of up to `steps` tokens, one token at a time (eval mode).

        The first layer's input projection costs E·4H per token either way; when the
        batch will feed more tokens than the dictionary holds, project every
        dictionary entry once into a (V, 4H) table and look rows up instead (and
        every aligned character's contribution into a second one).
        """
        zeros = [self.embed.weight.new_zeros(batch, self.lstm.hidden_size) for _ in range(self.lstm.num_layers)]
        table = aligned_table = None
        if batch * steps > self.embed.num_embeddings:
            w_ih, _, b_ih, b_hh = layer_weights(self.lstm, 0)
            table = torch.addmm(b_ih + b_hh, self.embed.weight, w_ih.t())
            if self.align is not None:
                aligned_table = self.align(self.embed.weight[: self.vocab_size]) @ w_ih.t()
        told = gates = plan = None
        if self.condition is not None:
            told = self.condition_vector(condition, batch)
            gates = told @ layer_weights(self.lstm, 0)[0].t()
        if self.plan is not None and condition is not None:
            plan = self.plan.start(condition)
        return WritingState(zeros, list(zeros), table, aligned_table, told, gates, plan)

    @torch.no_grad()
    def write_step(
        self, ids: torch.Tensor, state: WritingState, aligned: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, WritingState]:
        """ids (B,) -> logits (B, V): one step of forward() in eval mode, without nn.LSTM's per-call set-up.

        `aligned` (B,): each poem's aligned character for this step (aligned_inputs), NO_ALIGNED where none;
        a poet without the aligned input ignores it.
        """
        if self.align is None or aligned is None:
            aligned = None
        hs, cs = [], []
        for layer, (h, c) in enumerate(zip(state.h, state.c)):
            w_ih, w_hh, b_ih, b_hh = layer_weights(self.lstm, layer)
            if layer == 0 and state.table is not None:
                gates = state.table[ids]
                if aligned is not None:
                    has = (aligned != NO_ALIGNED)[:, None]
                    gates = gates + state.aligned_table[aligned.clamp(min=0)] * has
                if state.condition_gates is not None:
                    gates = gates + state.condition_gates
            else:
                if layer == 0:
                    x = self.embed(ids)
                    if aligned is not None:
                        x = x + self.aligned_embedding(aligned)
                    if state.condition is not None:
                        x = x + state.condition
                gates = torch.addmm(b_ih + b_hh, x, w_ih.t())
            gates = gates.addmm_(h, w_hh.t())
            i, f, g, o = gates.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c)
            hs.append(x)
            cs.append(c)
        scores = self.head(x)
        plan = state.plan
        if plan is not None:  # the keyword of the line this step writes, boosted
            plan, chars = self.plan.step(ids, plan)
            scores = boost_scores(scores, chars, self.plan.boosts(x, chars, self.embed, plan["column"], plan["written"]))
        return scores, replace(state, h=hs, c=cs, plan=plan)
