"""A trial for issue 21, outside the pipeline: does a poet told a title and a poet write to them, by the two measures? (about 8 minutes a way on 2 cores).

    python scripts/conditioning_trial.py [EPOCHS] [prefix|vector|pipeline|plain] [KEYWORDS]   # from the repo root, after `dvc repro titles`

A 1×512 LSTM on the poet's dictionary, adaptive softmax, from the poet's
pretrained vectors, trained EPOCHS (default 2) epochs on the four forms' Tang
train splits alone (no verse, no aligned input: a trial, not the poet), told
each poem's poet (the POETS_MIN poets with that many train poems; the rest,
and a blanked poet, one "any poet") and the characters of its title in the
dictionary (at most TITLE_CHARS; none when blanked) one of two ways:

- prefix: the poem is read after its form's token, its poet's token, its
  title's characters and a separator, read and never scored;
- vector: the poem starts with its form's token as the poet's do, and every
  step's input also carries a condition vector, a learned map of the poet's
  own 64-wide embedding and the mean embedding of the title's characters;
- pipeline: the pipeline's own way (models/lstm.py, data/conditions.py): the
  same vector from the poet's and the title words' own small vectors, through
  a map that starts at zero, the model blanking them itself;
- plain: the same poet told nothing, the baseline.

With KEYWORDS > 0 a title is read as its characters among the KEYWORDS
commonest title characters of the train split alone (the subject measure's
keywords: 送 秋 夜 寺 登 …; names and places mostly drop out). Each of poet
and title is blanked in BLANK of the training poems, independently.

Printed: dev PP of the poem tokens of the four forms' dev splits told
nothing, the poet, the title, both (`own dictionary`); then 五律 written for
prompts (temperature 0.8, top-p 0.95, form mask) and judged by the two
measures of the told stage (judge/voice.py, judge/subject.py):
the share of poems written as each of six poets that the author classifier
gives to that poet (and of poems written with no poet), and the share of
poems written for a dev poem's title that rank that title first among ten
(and the same titles' poems written with no title). Both classifiers learn
from the train split alone; their ceilings are what they reach on real dev
poems (metrics/told.json, the told stage).
"""

import sys
import time
from collections import Counter

import numpy as np
import torch

sys.path.insert(0, "src")

from tangshi.data.batching import PAD  # noqa: E402
from tangshi.data.titles import Meta, read_titled  # noqa: E402
from tangshi.data.vocab import EOS, Vocab  # noqa: E402
from tangshi.data.conditions import NOT_SUBJECTS  # noqa: E402
from tangshi.forms import BY_NAME, FORMS, form_index  # noqa: E402
from tangshi.judge.subject import TitleScorer  # noqa: E402
from tangshi.judge.voice import VoiceClassifier  # noqa: E402
from tangshi.models.cell import layer_weights  # noqa: E402
from tangshi.models.lstm import PoetLSTM, WritingState  # noqa: E402
from tangshi.writing.decode import filter_logits  # noqa: E402

VOICES = ("杜甫", "李白", "王维", "白居易", "李商隐", "杜牧")  # params.yaml told.poets
POETS_MIN = 20
TITLE_CHARS = 8
BLANK = 0.25
PER_POET = 40
TITLES = 200
SEED = 42


def load(split: str) -> list[tuple[str, str, str, str]]:
    """(form name, title, author, poem) of every poem of the four forms' `split`."""
    return [(form.name, m.title, m.author, p) for form in FORMS for m, p in read_titled(form.folder, split)]


class Prefixes:
    def __init__(self, vocab: Vocab, poets: list[str]):
        V = len(vocab)
        self.vocab, self.poets = vocab, {p: i for i, p in enumerate(poets)}
        self.form0, self.poet0 = V, V + len(FORMS)
        self.any_poet = self.poet0 + len(poets)
        self.sep = self.any_poet + 1
        self.rows = len(FORMS) + len(poets) + 2
        self.char_set = set(vocab.char_ids)

    def ids(self, form: str, title: str | None, poet: str | None) -> list[int]:
        chars = [self.vocab.index[c] for c in (title or "") if c in self.vocab.index and self.vocab.index[c] in self.char_set]
        poet_id = self.poet0 + self.poets[poet] if poet in self.poets else self.any_poet
        return [self.form0 + form_index(BY_NAME[form]), poet_id] + chars[:TITLE_CHARS] + [self.sep]


def batch(rows: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(prefix, poem ids without `*`) rows -> inputs and targets (T, B); the prefix's targets are PAD."""
    seqs = [p + q for p, q in rows]
    T = max(map(len, seqs)) - 1
    x = torch.zeros(T, len(rows), dtype=torch.long)
    y = torch.full((T, len(rows)), PAD, dtype=torch.long)
    for b, ((prefix, poem), seq) in enumerate(zip(rows, seqs)):
        x[: len(seq) - 1, b] = torch.tensor(seq[:-1])
        y[len(prefix) - 1 : len(seq) - 1, b] = torch.tensor(poem)
    return x, y


def form_led(model, requests, poems: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Each poem led by its form's token, as the poet reads it -> inputs and targets (T, B), PAD past its end."""
    rows = [[model.vocab_size + form_index(BY_NAME[r[0]])] + p for r, p in zip(requests, poems)]
    T = max(map(len, rows)) - 1
    x = torch.zeros(T, len(rows), dtype=torch.long)
    y = torch.full((T, len(rows)), PAD, dtype=torch.long)
    for b, row in enumerate(rows):
        x[: len(row) - 1, b] = torch.tensor(row[:-1])
        y[: len(row) - 1, b] = torch.tensor(row[1:])
    return x, y


def sample(logits, state, step, vocab: Vocab, form, gen: torch.Generator) -> list[str]:
    """Poems of `form` from the first step's logits and a step function, punctuation forced, temperature 0.8,
    top-p 0.95."""
    chars = torch.zeros(len(vocab), dtype=torch.bool)
    chars[vocab.char_ids] = True
    out = []
    for k in range(form.tokens):
        if k:
            logits, state = step(nxt, state)
        col = k % (form.chars + 1)
        allowed = chars if col < form.chars else torch.nn.functional.one_hot(
            torch.tensor(vocab.index["，" if (k // (form.chars + 1)) % 2 == 0 else "。"]), len(vocab)).bool()
        scores = filter_logits((logits.float() / 0.8).masked_fill(~allowed, -torch.inf), 0, 0.95)
        nxt = torch.multinomial(torch.softmax(scores, -1), 1, generator=gen).squeeze(1)
        out.append(nxt)
    return ["".join(vocab.tokens[i] for i in row) for row in torch.stack(out, 1).tolist()]


class PrefixTrial:
    """The condition as a prefix read before the poem."""

    def __init__(self, vocab: Vocab, poets: list[str]):
        self.pre = Prefixes(vocab, poets)
        self.vocab = vocab
        self.model = PoetLSTM(len(vocab), 300, 512, 1, 0.1, "torch", "finetune", np.load("data/poet_embedding.npy"), 1.0,
                              False, self.pre.rows, "adaptive", 2000)

    def nll(self, requests, poems: list[list[int]]) -> tuple[torch.Tensor, int]:
        x, y = batch([(self.pre.ids(*r), p) for r, p in zip(requests, poems)])
        nll, _ = self.model(x, targets=y)
        return nll.sum(), int((y != PAD).sum())

    @torch.no_grad()
    def write(self, requests, form, gen) -> list[str]:
        m = self.model.eval()
        hs, cs = [], []  # each prefix read on its own: they differ in length
        for r in requests:
            _, (h, c) = m.lstm(m.embed(torch.tensor(self.pre.ids(*r))[:, None]))
            hs.append(h)
            cs.append(c)
        state = WritingState([torch.cat(hs, 1)[0]], [torch.cat(cs, 1)[0]], None)
        return sample(m.head(state.h[0]), state, m.write_step, self.vocab, form, gen)


class VectorTrial(torch.nn.Module):
    """The condition as a vector beside every step's input."""

    POET_DIM = 64

    def __init__(self, vocab: Vocab, poets: list[str], keywords: set[str] | None = None):
        super().__init__()
        self.vocab, self.poets = vocab, {p: i for i, p in enumerate(poets)}
        self.chars = {i for i in vocab.char_ids if keywords is None or vocab.tokens[i] in keywords}
        self.model = PoetLSTM(len(vocab), 300, 512, 1, 0.1, "torch", "finetune", np.load("data/poet_embedding.npy"), 1.0,
                              False, len(FORMS), "adaptive", 2000)
        self.poet_embed = torch.nn.Embedding(len(poets) + 1, self.POET_DIM)  # the last row: any poet
        self.cond = torch.nn.Linear(self.POET_DIM + 300, 300)

    def condition(self, requests) -> torch.Tensor:
        poets = torch.tensor([self.poets.get(a, len(self.poets)) for _, _, a in requests])
        titles = [[self.vocab.index[c] for c in (t or "") if self.vocab.index.get(c) in self.chars][:TITLE_CHARS]
                  for _, t, _ in requests]
        width = max(1, max(map(len, titles)))
        ids = torch.tensor([t + [0] * (width - len(t)) for t in titles])
        mask = torch.tensor([[1.0] * len(t) + [0.0] * (width - len(t)) for t in titles])
        pooled = (self.model.embed(ids) * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.cond(torch.cat([self.poet_embed(poets), pooled], -1))  # (B, E)

    def nll(self, requests, poems: list[list[int]]) -> tuple[torch.Tensor, int]:
        m = self.model
        x, y = form_led(m, requests, poems)
        inputs = m.embed(x) + self.condition(requests)[None]
        out, _ = m.lstm(m.drop(inputs))
        return m.nll(out, y).sum(), int((y != PAD).sum())

    @torch.no_grad()
    def write(self, requests, form, gen) -> list[str]:
        self.eval()
        m, cond = self.model, self.condition(requests)
        w_ih, w_hh, b_ih, b_hh = layer_weights(m.lstm, 0)

        def step(ids, state):
            gates = torch.addmm(b_ih + b_hh, m.embed(ids) + cond, w_ih.t()).addmm_(state.h[0], w_hh.t())
            i, f, g, o = gates.chunk(4, 1)
            c = torch.sigmoid(f) * state.c[0] + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            return m.head(h), WritingState([h], [c], None)

        zeros = torch.zeros(len(requests), m.lstm.hidden_size)
        logits, state = step(torch.full((len(requests),), m.vocab_size + form_index(form)), WritingState([zeros], [zeros], None))
        return sample(logits, state, step, self.vocab, form, gen)


class PipelineTrial:
    """The pipeline's way (models/lstm.py, data/conditions.py): the vector beside every input, from the poet's
    and the title words' own vectors, through a map that starts at zero."""

    def __init__(self, vocab: Vocab, poets: list[str], metas, plain: bool = False):
        from tangshi.data.conditions import ConditionConfig, build_conditions

        self.vocab = vocab
        self.table = build_conditions(ConditionConfig(POETS_MIN, TITLE_CHARS, 300, BLANK), metas, vocab)
        self.model = PoetLSTM(len(vocab), 300, 512, 1, 0.1, "torch", "finetune", np.load("data/poet_embedding.npy"), 1.0,
                              False, len(FORMS), "adaptive", 2000, poets=None if plain else len(self.table.poets),
                              title_words=len(self.table.words), blank=BLANK)

    def rows(self, requests) -> torch.Tensor:
        return torch.tensor([self.table.encode(t, a) for _, t, a in requests])

    def nll(self, requests, poems: list[list[int]]) -> tuple[torch.Tensor, int]:
        m = self.model
        x, y = form_led(m, requests, poems)
        nll, _ = m(x, targets=y, condition=self.rows([(f, t, a) for f, t, a in requests]))
        return nll.sum(), int((y != PAD).sum())

    @torch.no_grad()
    def write(self, requests, form, gen) -> list[str]:
        m = self.model.eval()
        state = m.writing_state(len(requests), 1, self.rows(requests))
        logits, state = m.write_step(torch.full((len(requests),), m.vocab_size + form_index(form)), state)
        return sample(logits, state, m.write_step, self.vocab, form, gen)


TRIALS = {"prefix": PrefixTrial, "vector": VectorTrial}


def main(epochs: int, way: str, keywords: int = 0) -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    vocab = Vocab.load("data/poet_vocab.json")
    train, dev = load("train"), load("dev")
    authors = Counter(a for _, _, a, _ in train if a)
    poets = sorted(a for a, n in authors.items() if n >= POETS_MIN)
    if way in ("pipeline", "plain"):  # plain: the same poet told nothing, the baseline
        trial = PipelineTrial(vocab, poets, [Meta(t, a) for _, t, a, _ in train], plain=way == "plain")
    elif keywords:
        common = Counter(c for _, t, _, _ in train for c in set(t) if c not in NOT_SUBJECTS)
        trial = VectorTrial(vocab, poets, {c for c, _ in common.most_common(keywords)})
    else:
        trial = TRIALS[way](vocab, poets)
    params = [p for p in (trial.parameters() if isinstance(trial, torch.nn.Module) else trial.model.parameters())
              if p.requires_grad]
    poem_ids = lambda p: [vocab.char_id(c) for c in p] + [vocab.index[EOS]]  # noqa: E731
    opt = torch.optim.RMSprop(params, lr=0.002)
    encoded = [(f, t, a, poem_ids(p)) for f, t, a, p in train]
    start = time.time()
    for epoch in range(epochs):
        trial.model.train()
        if isinstance(trial, torch.nn.Module):
            trial.train()
        order = rng.permutation(len(encoded))
        for i in range(0, len(order), 64):
            rows = [encoded[j] for j in order[i : i + 64]]
            requests = [(f, None if rng.random() < BLANK else t, None if rng.random() < BLANK else a) for f, t, a, _ in rows]
            if way in ("pipeline", "plain"):  # the model blanks them itself
                requests = [(f, t, a) for f, t, a, _ in rows]
            total, count = trial.nll(requests, [ids for *_, ids in rows])
            loss = total / count
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}  {time.time() - start:.0f} s", flush=True)

    print(f"\n{way}: dev PP of the poem tokens, four forms' dev splits (own dictionary):")
    trial.model.eval()
    if isinstance(trial, torch.nn.Module):
        trial.eval()
    for told, (use_title, use_poet) in {"nothing": (0, 0), "the poet": (0, 1), "the title": (1, 0), "both": (1, 1)}.items():
        total, count = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(dev), 256):
                part = dev[i : i + 256]
                n, c = trial.nll([(f, t if use_title else None, a if use_poet else None) for f, t, a, _ in part],
                                 [poem_ids(p) for *_, p in part])
                total, count = total + float(n), count + c
        print(f"  told {told:9s} {np.exp(total / count):.2f}")

    gen = torch.Generator().manual_seed(SEED)
    form = BY_NAME["五律"]
    # voice: the told stage's author classifier, on poems written as each poet and as nobody
    clf = VoiceClassifier(list(VOICES), [(a, p) for _, _, a, p in train])
    print("\nvoice: share of 五律 written as each poet that the classifier gives to that poet (and written as nobody):")
    anyone = trial.write([("五律", None, None)] * (PER_POET * len(VOICES)), form, gen)
    base = Counter(clf.attribute(anyone))
    recalls = []
    for poet in VOICES:
        poems = trial.write([("五律", None, poet)] * PER_POET, form, gen)
        share = clf.recall(poems, poet)
        recalls.append(share)
        print(f"  {poet}: {share:.3f}  (poems written as nobody given to {poet}: {base[poet] / len(anyone):.3f}); first: {poems[0]}")
    print(f"  mean {np.mean(recalls):.3f} (chance {1 / len(VOICES):.3f}; the classifier's mean recall on real dev poems: "
          "metrics/told.json voice.ceiling)")

    # subject: the told stage's title ranking, on poems written for dev titles and with no title
    titled = [(t, p) for _, t, _, p in dev if t]
    scorer = TitleScorer([(t, p) for _, t, _, p in train])
    picks = [titled[i] for i in np.random.default_rng(SEED).permutation(len(titled)) if scorer.has_keyword(titled[i][0])][:TITLES]
    for label, use in (("with the title", True), ("without it", False)):
        poems = trial.write([("五律", t if use else None, None) for t, _ in picks], form, gen)
        first = scorer.first_share([t for t, _ in picks], poems, [t for t, _ in titled], SEED)
        print(f"\nsubject, {TITLES} dev titles, 五律 written {label}: true title first among 10 in {first:.3f} (chance 0.100)")
        if use:
            print("  first: " + " | ".join(f"{t}: {p}" for (t, _), p in zip(picks[:3], poems[:3])))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2, sys.argv[2] if len(sys.argv) > 2 else "prefix",
         int(sys.argv[3]) if len(sys.argv) > 3 else 0)
