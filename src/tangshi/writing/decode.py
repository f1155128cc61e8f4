"""Writing poems of any of the four forms: batched sampling with form and meter constraints, start
characters, acrostics, first lines.

Positions drive everything. After the start token (`*`, or the form's own
token for a poet of every form), token k of a poem with lines of c characters
is character (k % (c+1)) of line k // (c+1), or its punctuation when
k % (c+1) == c; the token after the last line is `$`. Mode `none` samples
freely (the report's way, which can break form); `form` forces punctuation and
`$` in place and forbids them elsewhere, so every poem is well-formed; `meter`
also picks one of the form's tone patterns and a 平水韵 rhyme group per poem
and masks every character that would break the standard judge's rules
(meter.py) or the rhyme (no rhyme character twice). It may write the accepted
variants: a few positions are decided by the tones already written (a 仄 at
position 1 of 平平仄仄平 asks for 平 at position 3, 孤平拗救; an out-line's 仄
at position 4 asks the same of the next line, 对句相救; 平平平仄仄 may swap
positions 3 and 4 when position 1 is 平, 平平仄平仄). Positions are those of
the 五言 core: a 七言 line's first two characters come before it, the second
fixed to the tone opposite the fourth's. In both modes a poem written to a plan
keeps each line's keyword (keep_keywords.py), and its tone pattern is one that
gives the most keywords a place.

A poet told a title or a poet may write with classifier-free guidance (Ho &
Salimans 2022): each step it also reads the poem told nothing (the same batch,
doubled) and samples from log p(c | told) + w·(log p(c | told) − log p(c | told
nothing)), which leans on what the title and the poet change. Training blanks
the conditions of a share of poems, so the one model gives both readings.

Two terms lean a draft away from the bland and the repeated (docs/decoding.md,
"Decoding against blandness"): `discount` γ samples from log p(c) − γ·log
p_unigram(c), the anti-language-model term of MMI decoding (Li et al. 2016),
which takes back part of the prior every character carries; `repeat_penalty`
takes that many nats off a character the poem has already written — except the
character just before (叠字: 萧萧) and the one at the same place of the
couplet's first line (a couplet's deliberate echo). The likelihood of what is
chosen (`chosen_nll`) stays the model's own, so what a setting costs is seen.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch

from ..data.conditions import keyword_ids
from ..data.vocab import COMMA, EOS, OOV_TOKEN, STOP, Vocab
from ..errors import TangshiError
from ..forms import WULV, Form
from ..judge.meter import (
    EITHER, LINE_TYPES, PING, ZE, ToneLexicon, classify_line, form_patterns, full_pattern, has_gu_ping, has_san_ping_wei,
    ping_rhyme_groups,
)
from ..models.lstm import NO_ALIGNED, aligned_source
from ..params import choose
from .keep_keywords import KeywordKeeper, starts, token_keywords

MODES = ("none", "form", "meter")
MAX_GUIDANCE = 10.0  # a bound for users: at 10 the difference already outweighs the told reading tenfold
FREE_EXTRA = 15  # mode none may run this many tokens past `$`'s place (64 steps for a 五律): that is how it breaks form
MIN_RHYMES = 8  # a rhyme group needs this many usable dictionary characters to be drawn
# requirement codes per token position; the last three are resolved while writing, from the tones written
ANY, WANT_PING, WANT_ZE, RHYME, PUNCT_COMMA, PUNCT_STOP, END, B_POS3, B_POS3_AFTER_A, C_POS4 = range(10)
DYNAMIC = (B_POS3, B_POS3_AFTER_A, C_POS4)
TONE_CODES = {PING: 0, ZE: 1, EITHER: 2}  # the tone of each written token; punctuation and unknown count as either


@dataclass
class Request:
    """What to write: a start character, an acrostic of one character a line, or a given first line (or nothing);
    and, for a poet told titles and poets, a title (or a few keywords) and a poet whose voice to write in."""

    start: str | None = None
    acrostic: str | None = None
    first_line: str | None = None
    title: str | None = None
    poet: str | None = None
    keywords: list[str | None] | None = None  # a plan: one keyword a line (writing/plan.py), None for a line told none
    forced: dict[int, str] = field(default_factory=dict, init=False)  # token position -> character

    def check(self, vocab: Vocab, form: Form = WULV) -> "Request":
        given = [x for x in (self.start, self.acrostic, self.first_line) if x]
        if len(given) > 1:
            raise TangshiError("give one of a start character, an acrostic or a first line, not several")
        if self.start is not None:
            if len(self.start) != 1:
                raise TangshiError(f"start {self.start!r} must be one character")
            self.forced = {0: self.start}
        if self.acrostic is not None:
            if len(self.acrostic) != form.lines:
                raise TangshiError(f"an acrostic for {form.name} has {form.lines} characters, one per line; "
                                   f"{self.acrostic!r} has {len(self.acrostic)}")
            self.forced = dict(zip(form.line_starts(), self.acrostic))
        if self.first_line is not None:
            if len(self.first_line) != form.chars:
                raise TangshiError(f"a first line of {form.name} has {form.chars} characters; {self.first_line!r} has "
                                   f"{len(self.first_line)}")
            self.forced = dict(enumerate(self.first_line))
        if self.keywords is not None:
            if len(self.keywords) > form.lines:
                raise TangshiError(f"a plan for {form.name} has at most {form.lines} keywords, one a line; "
                                   f"{len(self.keywords)} given")
            for word in filter(None, self.keywords):
                if not 1 <= len(word) <= 2 or any(c not in vocab for c in word):
                    raise TangshiError(f"keyword {word!r} is not one or two characters of the model's dictionary: "
                                       "choose another (`tangshi write --keywords` names the closest ones)")
        for char in self.forced.values():
            if char not in vocab:
                raise TangshiError(f"character {char!r} is not in the model's dictionary ({len(vocab.char_ids)} characters, "
                                   "data/vocab.json or data/poet_vocab.json): choose another")
        return self


@dataclass
class Written:
    tokens: str  # the report's form: *…$
    chosen_nll: float  # summed NLL, under the unconstrained model told the request (unguided), of the characters it sampled
    chosen: int  # how many characters it sampled (forced ones excluded)
    pattern: str | None = None
    rhyme_group: str | None = None

    @property
    def poem(self) -> str:
        return self.tokens.lstrip("*").split("$")[0]


class Constraints:
    """Per-token masks over the vocabulary for the form and meter modes."""

    def __init__(self, vocab: Vocab, lexicon: ToneLexicon | None = None):
        V = len(vocab)
        self.vocab = vocab
        is_char = torch.zeros(V, dtype=torch.bool)
        is_char[vocab.char_ids] = True
        one_hot = lambda t: torch.nn.functional.one_hot(torch.tensor(vocab.index[t]), V).bool()  # noqa: E731
        ping = ze = is_char
        self.groups: list[str] = []
        group_masks = [torch.zeros(V, dtype=torch.bool)]  # row 0: placeholder for "no rhyme here"
        if lexicon is not None:
            chars = set(vocab.char_ids)
            tones = [lexicon.tone(t) if i in chars else None for i, t in enumerate(vocab.tokens)]
            known = [t in lexicon.counts for t in vocab.tokens]
            ping = torch.tensor([t in (PING, EITHER) and k for t, k in zip(tones, known)]) & is_char
            ze = torch.tensor([t in (ZE, EITHER) and k for t, k in zip(tones, known)]) & is_char
            self.tone_codes = torch.tensor([TONE_CODES[t] if t in TONE_CODES else TONE_CODES[EITHER] for t in tones])
            members: dict[str, list[int]] = {}
            for char, groups in ping_rhyme_groups().items():
                if char in vocab and ping[vocab.index[char]]:
                    for g in groups:
                        members.setdefault(g, []).append(vocab.index[char])
            for g in sorted(members):
                if len(members[g]) >= MIN_RHYMES:
                    self.groups.append(g)
                    mask = torch.zeros(V, dtype=torch.bool)
                    mask[members[g]] = True
                    group_masks.append(mask)
        self.lexicon = lexicon
        if lexicon is None:
            self.tone_codes = torch.full((V,), TONE_CODES[EITHER])
        self.table = torch.stack([is_char, ping, ze, is_char, one_hot(COMMA), one_hot(STOP), one_hot(EOS)])
        self.group_masks = torch.stack(group_masks)
        self.group_sizes = np.array([int(m.sum()) for m in group_masks[1:]], dtype=float)

    def form_requirements(self, form: Form = WULV) -> np.ndarray:
        req = np.full(form.tokens + 1, ANY)
        for line, start in enumerate(form.line_starts()):
            req[start + form.chars] = PUNCT_COMMA if line % 2 == 0 else PUNCT_STOP
        req[form.tokens] = END
        return req

    def meter_plan(self, request: Request, rng: np.random.Generator, form: Form = WULV) -> tuple[np.ndarray, str, int]:
        """Requirements per token, the pattern and the rhyme group (index into self.groups, 1-based)."""
        if self.lexicon is None or not self.groups:
            raise TangshiError("meter needs the tone lexicon and rhyme groups: run `dvc repro meter`")
        patterns = form_patterns(form)
        options = [(name, kinds) for name, kinds in patterns.items() if self._admits(kinds, request.forced, form)]
        if not options:  # a given first line that fits no pattern: constrain the rest anyway
            options = list(patterns.items())
        if request.keywords and any(request.keywords):
            options = self._placing_keywords(options, request, form)
        name, kinds = options[rng.integers(len(options))]
        req = self._pattern_requirements(kinds, form)
        forced_rhymes = [c for k, c in request.forced.items() if req[k] == RHYME]
        candidates = [
            i for i, g in enumerate(self.groups)
            if all(g in ping_rhyme_groups().get(c, ()) for c in forced_rhymes)
        ] or list(range(len(self.groups)))
        weights = self.group_sizes[candidates] / self.group_sizes[candidates].sum()
        group = candidates[rng.choice(len(candidates), p=weights)] + 1
        return req, name, group

    def keyword_fits(self, req: np.ndarray, groups: np.ndarray, chars: np.ndarray, forced: np.ndarray) -> np.ndarray:
        """(B, steps, 2) whether each keyword character of `chars` (keep_keywords.token_keywords) may stand at its
        token under the requirements `req` (B, steps) and rhyme groups (B,), whichever way a place decided while
        writing is resolved, and where no given character stands."""
        strictest = np.select([np.isin(req, (B_POS3, B_POS3_AFTER_A)), req == C_POS4], [WANT_PING, WANT_ZE], req)
        table, group_masks = self.table.numpy(), self.group_masks.numpy()
        ids = chars.clip(min=0)
        fits = np.where(strictest[..., None] == RHYME, group_masks[groups[:, None, None], ids], table[strictest[..., None], ids])
        return fits & (chars >= 0) & ((forced[..., None] < 0) | (forced[..., None] == chars))

    def _placing_keywords(self, options: list[tuple[str, str]], request: Request, form: Form) -> list[tuple[str, str]]:
        """The patterns under which the most lines' keywords have a place to stand (keep_keywords.starts; a
        rhyme place not counted, the group being drawn after): 孤舟 needs two 平 side by side."""
        steps = form.tokens + 1
        chars = token_keywords([request.keywords], self.vocab, form, steps)
        forced = np.full((1, steps), -1)
        for k, c in request.forced.items():
            forced[0, k] = self.vocab.index[c]
        no_group = np.zeros(1, dtype=np.int64)
        placed = []
        for _, kinds in options:
            fits = self.keyword_fits(self._pattern_requirements(kinds, form)[None], no_group, chars, forced)
            placed.append(starts(chars, fits)[0, : form.tokens].reshape(form.lines, -1).any(-1).sum())
        return [option for option, n in zip(options, placed) if n == max(placed)]

    def _admits(self, kinds: str, forced: dict[int, str], form: Form = WULV) -> bool:
        """Whether the forced characters fit a pattern: each at its strict position, a whole given line as a line of its type."""
        tone = self.lexicon.tone
        req = self._pattern_requirements(kinds, form)
        if any(req[k] in (WANT_PING, WANT_ZE, RHYME) and not fits_req(tone(c), req[k]) for k, c in forced.items()):
            return False
        for line, (kind, start) in enumerate(zip(kinds, form.line_starts())):
            chars = [forced.get(start + col) for col in range(form.chars)]
            if all(chars):
                tones = "".join(tone(c) for c in chars)
                partner = EITHER * form.chars if line % 2 == 0 else None  # the next line can still rescue it
                if classify_line(tones, partner)[0] != kind or has_gu_ping(tones) or has_san_ping_wei(tones):
                    return False
        return True

    def _pattern_requirements(self, kinds: str, form: Form = WULV) -> np.ndarray:
        """Per token: the fixed tone positions of each line's type, the rhyme, and the positions decided while writing."""
        req = self.form_requirements(form)
        for line, (kind, start) in enumerate(zip(kinds, form.line_starts())):
            base = start + form.chars - 5  # the 五言 core; a 七言 line's head comes before it
            pattern = LINE_TYPES[kind]
            if form.chars == 7:  # the second character opposite the fourth (二四分明); the first is free
                req[start + 1] = WANT_PING if full_pattern(kind, 7)[1] == PING else WANT_ZE
            req[base + 1] = WANT_PING if pattern[1] == PING else WANT_ZE  # 粘 and 对 by the second character
            req[base + 4] = RHYME if pattern[4] == PING else WANT_ZE  # every 平-ending line rhymes
            if kind == "B":  # 平平仄仄平: position 4 仄; position 3 must be 平 after a 仄 at 1 (or a 拗 line before)
                req[base + 3] = WANT_ZE
                req[base + 2] = B_POS3_AFTER_A if line > 0 and kinds[line - 1] == "A" and line % 2 else B_POS3
            elif kind == "C":  # 平平平仄仄, or 平平仄平仄
                req[base + 3] = C_POS4
            elif kind == "D":  # 仄仄仄平平: a 平 at position 3 would make 三平尾
                req[base + 2], req[base + 3] = WANT_ZE, WANT_PING
            # kind A, 仄仄平平仄: positions 3 and 4 are free; a 仄 at 4 is rescued by the next line (B_POS3_AFTER_A)
        return req


def resolve(need: torch.Tensor, tones: torch.Tensor, k: int, chars: int = 5) -> torch.Tensor:
    """Requirement codes at token k with the dynamic ones resolved from `tones`, the (B, ≥k) tone codes written
    in lines of `chars` characters."""
    ping, ze = TONE_CODES[PING], TONE_CODES[ZE]
    either = torch.full_like(need, TONE_CODES[EITHER])
    at = lambda j: tones[:, j] if j >= 0 else either  # noqa: E731
    # 孤平拗救: the core's first character; 对句相救: the out-line's fourth, a line (chars + 1 tokens) back
    b_due = (at(k - 2) == ze) | ((need == B_POS3_AFTER_A) & (at(k - chars) == ze))
    need = torch.where((need == B_POS3) | (need == B_POS3_AFTER_A), torch.where(b_due, WANT_PING, ANY), need)
    c_free = (at(k - 3) != ze) & (at(k - 1) != ping)  # 平平仄平仄 needs 平 at 1 and 仄 at 3
    return torch.where(need == C_POS4, torch.where(c_free, ANY, WANT_ZE), need)


def fits_req(tone: str, req: int) -> bool:
    if req == WANT_ZE:
        return tone in (ZE, EITHER)
    return tone in (PING, EITHER)


def filter_logits(scores: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    if top_k and top_k > 0:
        kth = torch.topk(scores, min(top_k, scores.shape[-1]), dim=-1).values[:, -1:]
        scores = scores.masked_fill(scores < kth, -torch.inf)
    if 0 < top_p < 1:
        sorted_scores, order = torch.sort(scores, descending=True, dim=-1)
        probs = torch.softmax(sorted_scores, dim=-1)
        drop = probs.cumsum(-1) - probs > top_p  # keep the smallest prefix reaching top_p
        scores = scores.scatter(-1, order, sorted_scores.masked_fill(drop, -torch.inf))
    return scores


def sample_rows(weights: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One index per row, drawn in proportion to the row's non-negative weights: inverse CDF, one uniform per row.

    torch.multinomial draws an exponential variate for every entry of the
    (B, V) grid, a third of the time of writing 1024 poems on a CPU; this
    draws B uniforms, and on a GPU it never waits for the device.
    """
    cdf = weights.cumsum(dim=-1)
    total = cdf[:, -1:]
    u = torch.rand(total.shape, generator=generator, device=weights.device, dtype=cdf.dtype)
    target = torch.minimum(u * total, torch.nextafter(total, torch.zeros_like(total)))  # stays below the total
    return torch.searchsorted(cdf, target, right=True).squeeze(1)  # first entry whose CDF passes the target


def draw(
    logits: torch.Tensor, allowed: torch.Tensor | None, temperature: float, top_k: int, top_p: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample one token per row among the allowed ones; also return each row's log partition function.

    Each pass over the (B, V) grid costs about as much as the model's step at
    B = 1024 on a CPU, so the plain case (temperature 1, no top-k/top-p) reuses
    the exponentials of the normaliser as sampling weights.
    """
    top = logits.amax(dim=-1, keepdim=True)
    shifted = logits - top
    exps = shifted.exp()
    log_z = (top + exps.sum(dim=-1, keepdim=True).log()).squeeze(1)
    if temperature == 1 and not top_k and not 0 < top_p < 1:
        weights = exps if allowed is None else exps.mul_(allowed)  # 5x faster than masked_fill_ here
    else:
        scores = shifted / temperature
        if allowed is not None:
            scores = scores.masked_fill(~allowed, -torch.inf)
        scores = filter_logits(scores, top_k, top_p)
        weights = torch.exp(scores - scores.amax(dim=-1, keepdim=True))  # masked (-inf) entries weigh 0
    return sample_rows(weights, generator), log_z


@contextmanager
def sync_check(device: torch.device, forbid: bool) -> Iterator[None]:
    """Within: on a GPU with forbid set, an operation that makes the host wait for the device raises."""
    if not (forbid and device.type == "cuda"):
        yield
        return
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


def check_writes(poet, form: Form) -> None:
    """Refuse a form the model was not trained to write (the five report variants know 五律 alone)."""
    forms = getattr(poet, "forms", (WULV,))
    if form not in forms:
        raise TangshiError(f"this model writes {'、'.join(f.name for f in forms)} only: use the poet (models/poet) "
                           f"for {form.name}")


def check_sampling(temperature: float, guidance: float) -> None:
    """Refuse a temperature or guidance weight no sampler takes (before anything is loaded, in the CLI)."""
    if temperature <= 0:
        raise TangshiError(f"temperature must be above 0, not {temperature}")
    if not 0 <= guidance <= MAX_GUIDANCE:
        raise TangshiError(f"guidance must be between 0 (none) and {MAX_GUIDANCE}, not {guidance}")


def told(poet, vocab: Vocab, requests: list[Request]) -> np.ndarray | None:
    """The (B, width) rows of what each request tells a conditioned poet (data/conditions.py); None when no
    request asks for a title or a poet. An unknown poet or a title the poet cannot read is refused."""
    planned = any(r.keywords and any(r.keywords) for r in requests)
    if not any(r.title or r.poet for r in requests) and not planned:
        return None
    conditions = getattr(poet, "conditions", None)
    if conditions is None:
        raise TangshiError("this model was trained without titles and poets: use the poet (models/poet) for "
                           "--title/--poet/--keywords")
    if planned and not conditions.keyword_slots:
        raise TangshiError("this poet was trained without a plan (models.poet.condition.keywords): retrain it to "
                           "write to --keywords")
    for r in requests:
        conditions.check_poet(r.poet or None)
        conditions.check_title(r.title or None)
    return np.array([conditions.encode(r.title, r.poet, keyword_ids(r.keywords, vocab) if r.keywords else None)
                     for r in requests], dtype=np.int64)


@torch.no_grad()
def write_poems(
    poet, vocab: Vocab, requests: list[Request], mode: str = "form", constraints: Constraints | None = None,
    temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, seed: int = 0, forbid_sync: bool = False,
    form: Form = WULV, guidance: float = 0.0, repeat_penalty: float = 0.0, discount: float = 0.0,
    unigram: np.ndarray | None = None,
) -> list[Written]:
    """Write one poem of `form` per request, all in one batch on the poet's device; a request told a title or a
    poet is written with `guidance` w (0: plain sampling from the poet told it), `repeat_penalty` nats off a
    character written before and `discount` γ times the `unigram` log-probabilities (one per token) taken off
    (see the module's doc).

    On a GPU no step waits for the device: the host queues all steps and reads
    the poems back once. forbid_sync=True makes any wait in the loop an error
    (for tests and benchmarks).
    """
    choose("constrain mode", mode, MODES)
    check_sampling(temperature, guidance)
    if repeat_penalty < 0 or discount < 0:
        raise TangshiError(f"repeat penalty and unigram discount are 0 (off) or more, not {repeat_penalty} and {discount}")
    if discount and (unigram is None or len(unigram) != len(vocab)):
        raise TangshiError("a unigram discount needs the unigram model of the dictionary: run `dvc repro cohesion`")
    check_writes(poet, form)
    requests = [r.check(vocab, form) for r in requests]
    condition = told(poet, vocab, requests)
    constraints = constraints or Constraints(vocab)
    B, device = len(requests), poet.device
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    steps = form.tokens + 1 + (FREE_EXTRA if mode == "none" else 0)
    forced_ids = torch.full((B, steps), -1, dtype=torch.long)
    for b, r in enumerate(requests):
        for k, c in r.forced.items():
            forced_ids[b, k] = vocab.index[c]
    plans = [(None, None)] * B
    keeper = None  # where a plan is given and places are known, each line's keyword is kept (keep_keywords.py)
    if mode != "none":
        req = np.tile(constraints.form_requirements(form), (B, 1))
        groups = np.zeros(B, dtype=np.int64)
        if mode == "meter":
            for b, r in enumerate(requests):
                req[b], name, groups[b] = constraints.meter_plan(r, rng, form)
                plans[b] = (name, constraints.groups[groups[b] - 1])
        req_t = torch.as_tensor(req, device=device)
        dynamic = np.isin(req, DYNAMIC).any(axis=0)  # per token: does any poem decide it while writing (host-side)
        tone_codes = constraints.tone_codes.to(device)
        written_tones = torch.full((B, steps), TONE_CODES[EITHER], dtype=torch.long, device=device)
        table = constraints.table.to(device)
        group_rows = constraints.group_masks.to(device)[torch.as_tensor(groups, device=device)]
        used = torch.zeros(B, len(vocab), dtype=torch.bool, device=device)
        if any(r.keywords and any(r.keywords) for r in requests):
            chars = token_keywords([r.keywords for r in requests], vocab, form, steps)
            keeper = KeywordKeeper(chars, constraints.keyword_fits(req, groups, chars, forced_ids.numpy()), form, device)
    forced_ids = forced_ids.to(device)
    x = torch.full((B,), poet.start_id(form), dtype=torch.long, device=device)  # `*` or the form's token
    guided = guidance > 0 and condition is not None
    if condition is None:
        state = poet.init_state(B, steps)
    elif guided:  # rows B.. read the same poems told nothing
        state = poet.init_state(2 * B, steps, np.concatenate([condition, poet.conditions.blanked(condition, title=True, poet=True, keywords=True)]))
    else:
        state = poet.init_state(B, steps, condition)
    out = torch.empty((B, steps), dtype=torch.long, device=device)
    chosen_nll = torch.zeros(B, dtype=torch.float64, device=device)
    chosen = torch.zeros(B, dtype=torch.long, device=device)
    char_ids = torch.zeros(len(vocab), dtype=torch.bool, device=device)
    char_ids[vocab.char_ids] = True
    writable = None  # free writing may end a poem anywhere, but never writes `<oov>` or `*`
    if OOV_TOKEN in vocab.index:
        writable = torch.ones(1, len(vocab), dtype=torch.bool, device=device)
        writable[0, [vocab.index[OOV_TOKEN], vocab.bos]] = False
    reads_aligned = getattr(poet, "aligned", False)
    no_aligned = torch.full((B,), NO_ALIGNED, dtype=torch.long, device=device)
    prior = -discount * torch.as_tensor(unigram, dtype=torch.float32, device=device)[None] if discount else None
    rows = torch.arange(B, device=device)
    written = torch.zeros(B, len(vocab), dtype=torch.bool, device=device) if repeat_penalty else None
    with sync_check(device, forbid_sync):
        for k in range(steps):
            source = aligned_source(form.chars, k) if reads_aligned else None
            read = x if not guided else torch.cat([x, x])
            if reads_aligned:  # the first line's character at this place, for a couplet's second line
                aligned = no_aligned if source is None else out[:, source]
                logits, state = poet.step(read, state, aligned if not guided else torch.cat([aligned, aligned]))
            else:
                logits, state = poet.step(read, state)
            logits = logits.to(device).float()
            if guided:
                told_it, told_nothing = torch.log_softmax(logits, -1).chunk(2)
                logits, sampling = told_it, told_it + guidance * (told_it - told_nothing)
            else:
                sampling = logits
            if prior is not None:
                sampling = sampling + prior
            if written is not None and k > 0:  # (nothing is written before the first step; x is the start token)
                again = written.clone()
                again[rows, x] = False  # 叠字
                echo = aligned_source(form.chars, k)
                if echo is not None:  # the same place of the couplet's first line
                    again[rows, out[:, echo]] = False
                sampling = sampling - repeat_penalty * again
            if keeper is not None:  # a word's characters only as the word
                banned = keeper.banned(k)
                off = torch.where(banned >= 0, -torch.inf, torch.inf).to(sampling.dtype)  # +inf: leave the entry
                sampling = sampling.scatter_reduce(1, banned.clamp(min=0), off, reduce="amin")
            allowed = writable
            if mode == "form":  # the same mask for every poem: one row, broadcast (indexed on the host: no sync)
                allowed = table[int(req[0, k])]
            elif mode == "meter":
                need = resolve(req_t[:, k], written_tones, k, form.chars) if dynamic[k] else req_t[:, k]
                rhyme = (need == RHYME)[:, None]
                allowed = torch.where(rhyme, group_rows & ~used, table[need])
            sampled, log_z = draw(sampling, allowed, temperature, top_k, top_p, gen)  # log_z: for the NLL of what is chosen
            if guided:  # the NLL is the unguided poet's: its logits are already normalised
                log_z = torch.zeros_like(log_z)
            elif sampling is not logits:  # the sampling terms are not the model's: normalise its own scores
                log_z = torch.logsumexp(logits, -1)
            forced = forced_ids[:, k] >= 0
            nxt = torch.where(forced, forced_ids[:, k], sampled)
            if keeper is not None:  # a keyword's deadline (counted in the NLL: the plan's cost)
                due = keeper.due(k, allowed)
                nxt = torch.where(~forced & (due >= 0), due, nxt)
                keeper.wrote(k, nxt)
            counts = ~forced & char_ids[nxt]
            nll = log_z - logits.gather(1, nxt[:, None]).squeeze(1)
            chosen_nll += torch.where(counts, nll.double(), 0.0)
            chosen += counts.long()
            if mode == "meter":  # a rhyme character may not come back
                used.scatter_(1, nxt[:, None], rhyme | used.gather(1, nxt[:, None]))
                written_tones[:, k] = tone_codes[nxt]
            out[:, k] = nxt
            if written is not None:
                written[rows, nxt] |= char_ids[nxt]
            x = nxt
    texts = [vocab.decode(row) for row in out.cpu().tolist()]
    poems = []
    for text, nll, n, (pattern, group) in zip(texts, chosen_nll.cpu().tolist(), chosen.cpu().tolist(), plans):
        end = text.find("$")
        poems.append(Written("*" + (text[: end + 1] if end >= 0 else text), nll, n, pattern, group))
    return poems
