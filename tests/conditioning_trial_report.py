"""A trial for issue 21, outside the pipeline: does a poet told a title and a poet write to them, by the two measures?

    python tests/conditioning_trial_report.py [EPOCHS]      # from the repo root, after `dvc repro titles`

A 1×512 LSTM on the poet's dictionary, adaptive softmax, from the poet's
pretrained vectors, trained EPOCHS (default 2) epochs on the four forms' Tang
train splits alone (no verse, no aligned input: a trial, not the poet). Each
poem is read after a prefix that is read and never scored: its form's token,
its poet's token (the POETS_MIN poets with that many train poems; the rest,
and a blanked poet, one "any poet" token), the characters of its title in the
dictionary (at most TITLE_CHARS; none when blanked) and a separator. Each of
poet and title is blanked in BLANK of the training poems, independently.

Printed: dev PP of the poem tokens of the four forms' dev splits told
nothing, the poet, the title, both (`own dictionary`); then 五律 written for
prompts (temperature 0.8, top-p 0.95, form mask) and judged by the two
measures of tests/voice_ceiling_report.py and tests/subject_ceiling_report.py:
the share of poems written as each of six poets that the author classifier
gives to that poet (and of poems written with no poet), and the share of
poems written for a dev poem's title that rank that title first among ten
(and the same titles' poems written with no title). Both classifiers learn
from the train split alone; their ceilings are what they reach on real dev
poems (printed by those two reports).
"""

import sys
import time
from collections import Counter

import numpy as np
import torch

sys.path.insert(0, "src")
sys.path.insert(0, "tests")
import subject_ceiling_report as subject  # noqa: E402
import voice_ceiling_report as voice  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from tangshi.data.batching import PAD  # noqa: E402
from tangshi.data.titles import read_titled  # noqa: E402
from tangshi.data.vocab import EOS, Vocab  # noqa: E402
from tangshi.forms import BY_NAME, FORMS, form_index  # noqa: E402
from tangshi.models.lstm import PoetLSTM, WritingState  # noqa: E402
from tangshi.writing.decode import filter_logits  # noqa: E402

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


def poem_nll(model, rows) -> tuple[float, int]:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rows), 256):
            x, y = batch(rows[i : i + 256])
            nll, _ = model(x, targets=y)
            total += float(nll.sum())
            count += int((y != PAD).sum())
    return total, count


@torch.no_grad()
def write(model, vocab: Vocab, prefixes: list[list[int]], form, gen: torch.Generator) -> list[str]:
    """One poem per prefix, the form's punctuation forced, temperature 0.8, top-p 0.95."""
    model.eval()
    hs, cs = [], []  # each prefix read on its own: they differ in length
    for p in prefixes:
        _, (h, c) = model.lstm(model.embed(torch.tensor(p)[:, None]))
        hs.append(h)
        cs.append(c)
    state = WritingState([torch.cat(hs, 1)[0]], [torch.cat(cs, 1)[0]], None)
    x = None  # the first step reads the state the prefix left
    chars = torch.zeros(len(vocab), dtype=torch.bool)
    chars[vocab.char_ids] = True
    out = []
    for k in range(form.tokens):
        logits, state = model.write_step(x, state) if k else (model.head(state.h[0]), state)
        col = k % (form.chars + 1)
        allowed = chars if col < form.chars else torch.nn.functional.one_hot(
            torch.tensor(vocab.index["，" if (k // (form.chars + 1)) % 2 == 0 else "。"]), len(vocab)).bool()
        scores = filter_logits((logits.float() / 0.8).masked_fill(~allowed, -torch.inf), 0, 0.95)
        nxt = torch.multinomial(torch.softmax(scores, -1), 1, generator=gen).squeeze(1)
        out.append(nxt)
        x = nxt
    return ["".join(vocab.tokens[i] for i in row) for row in torch.stack(out, 1).tolist()]


def main(epochs: int) -> None:
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    vocab = Vocab.load("data/poet_vocab.json")
    train, dev = load("train"), load("dev")
    authors = Counter(a for _, _, a, _ in train if a)
    poets = sorted(a for a, n in authors.items() if n >= POETS_MIN)
    pre = Prefixes(vocab, poets)
    poem_ids = lambda p: [vocab.char_id(c) for c in p] + [vocab.index[EOS]]  # noqa: E731
    model = PoetLSTM(len(vocab), 300, 512, 1, 0.1, "torch", "finetune", np.load("data/poet_embedding.npy"), 1.0, False,
                     pre.rows, "adaptive", 2000)
    opt = torch.optim.RMSprop([p for p in model.parameters() if p.requires_grad], lr=0.002)
    encoded = [(f, t, a, poem_ids(p)) for f, t, a, p in train]
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(encoded))
        for i in range(0, len(order), 64):
            rows = []
            for j in order[i : i + 64]:
                f, t, a, ids = encoded[j]
                rows.append((pre.ids(f, None if rng.random() < BLANK else t, None if rng.random() < BLANK else a), ids))
            x, y = batch(rows)
            nll, _ = model(x, targets=y)
            loss = nll.sum() / (y != PAD).sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}  {time.time() - start:.0f} s", flush=True)

    print("\ndev PP of the poem tokens, four forms' dev splits (own dictionary):")
    for told, (use_title, use_poet) in {"nothing": (0, 0), "the poet": (0, 1), "the title": (1, 0), "both": (1, 1)}.items():
        rows = [(pre.ids(f, t if use_title else None, a if use_poet else None), poem_ids(p)) for f, t, a, p in dev]
        total, count = poem_nll(model, rows)
        print(f"  told {told:9s} {np.exp(total / count):.2f}")

    gen = torch.Generator().manual_seed(SEED)
    form = BY_NAME["五律"]
    # voice: the author classifier of voice_ceiling_report, on poems written as each poet and as nobody
    vtrain = [(a, p) for _, _, a, p in train if a in voice.POETS]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=None)
    clf = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
    clf.fit(vectorizer.fit_transform([p for _, p in vtrain]), [a for a, _ in vtrain])
    print("\nvoice: share of 五律 written as each poet that the classifier gives to that poet (and written as nobody):")
    anyone = write(model, vocab, [pre.ids("五律", None, None)] * (PER_POET * len(voice.POETS)), form, gen)
    base = Counter(clf.predict(vectorizer.transform(anyone)))
    recalls = []
    for poet in voice.POETS:
        poems = write(model, vocab, [pre.ids("五律", None, poet)] * PER_POET, form, gen)
        share = float(np.mean(clf.predict(vectorizer.transform(poems)) == poet))
        recalls.append(share)
        print(f"  {poet}: {share:.3f}  (poems written as nobody given to {poet}: {base[poet] / len(anyone):.3f}); first: {poems[0]}")
    print(f"  mean {np.mean(recalls):.3f} (chance {1 / len(voice.POETS):.3f}; the classifier's mean recall on real dev poems: "
          "python tests/voice_ceiling_report.py)")

    # subject: the title ranking of subject_ceiling_report, on poems written for dev titles and with no title
    titled = [(t, p) for _, t, _, p in dev if t]
    scorer = subject.TitleScorer([(t, p) for _, t, _, p in train])
    picks = [titled[i] for i in np.random.default_rng(SEED).permutation(len(titled)) if scorer.has_keyword(titled[i][0])][:TITLES]
    for label, use in (("with the title", True), ("without it", False)):
        poems = write(model, vocab, [pre.ids("五律", t if use else None, None) for t, _ in picks], form, gen)
        first = scorer.first_share([t for t, _ in picks], poems, [t for t, _ in titled], SEED)
        print(f"\nsubject, {TITLES} dev titles, 五律 written {label}: true title first among 10 in {first:.3f} (chance 0.100)")
        if use:
            print("  first: " + " | ".join(f"{t}: {p}" for (t, _), p in zip(picks[:3], poems[:3])))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
