"""What the poet's own dictionary is worth: one short curriculum through each dictionary, scored on the shared one (minutes; not timed this session).

    python scripts/dictionary.py [--verse-epochs 0.05 --tang-epochs 1]   # from the repo root, after `dvc repro embed`

Two poets of params.yaml's size and curriculum, shortened, both starting from the
skip-gram vectors, differing in what they read and write through:

- shared: the report's 2,004 tokens (a tenth of the verse and 5-6% of every dev
  split replaced by random substitutes) and the softmax tied to the embedding the
  poet had before;
- poet: its own 7,279 tokens and the adaptive softmax, as committed.

Each is scored on the four forms' dev splits pooled, on the shared dictionary (the
second folded onto it, training/perplexity.py). A full poet costs half an hour on
two cores; at this length the figures say which way and roughly how far, not the
full run's gap.
"""

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.batching import cut_pieces  # noqa: E402
from tangshi.data.vocab import DICTIONARIES, EMBEDDINGS, ENCODED, Vocab  # noqa: E402
from tangshi.forms import FORMS, form_token_id, verse_with_form_tokens, with_start  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.models.poet import ModelConfig, all_token_nll  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.training.loop import train_variant  # noqa: E402
from tangshi.training.perplexity import build_fold, folded_token_nll, pooled_perplexities  # noqa: E402
from tangshi.training.trainer import TrainConfig  # noqa: E402


def encoded(dictionary: str, vocab: Vocab) -> tuple[list[Path], list[np.ndarray]]:
    paths = [Path("data") / ENCODED[dictionary] / f.folder / f"{split}.npy" for split in ("train", "dev") for f in FORMS]
    return paths, [with_start(np.load(p), form_token_id(len(vocab), f)) for p, f in zip(paths, FORMS + FORMS)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--verse-epochs", type=float, default=0.05)
    p.add_argument("--tang-epochs", type=int, default=1)
    args = p.parse_args()
    params = load_params()
    base = replace(ModelConfig(**params["models"]["poet"]), verse_epochs=args.verse_epochs, patience=None, embedding="finetune")
    shared = Vocab.load("data/vocab.json")
    fold = build_fold(Vocab.load("data/poet_vocab.json"), shared,
                      json.loads(Path("data/poet_encoded/oov_chars.json").read_text(encoding="utf-8")))
    targets = [np.load(Path("data/encoded") / f.folder / "dev.npy") for f in FORMS]
    offsets, shapes = np.load("data/verse/offsets.npy"), np.load("data/verse/forms.npy")
    train = dict(params["train"], epochs=args.tang_epochs, patience=0)
    seed = train.pop("seed")
    rows = []
    for dictionary, cfg in (("shared", replace(base, dictionary="shared", output="full", tie=True)),
                            ("poet", replace(base, dictionary="poet"))):
        vocab = Vocab.load(Path("data") / DICTIONARIES[dictionary])
        paths, arrays = encoded(dictionary, vocab)
        verse = cut_pieces(verse_with_form_tokens(np.load(Path("data") / ENCODED[dictionary] / "verse.npy"), offsets, shapes,
                                                  len(vocab)), offsets)
        embedding = np.load(Path("data") / EMBEDDINGS[dictionary])
        with tempfile.TemporaryDirectory() as tmp:
            summary = train_variant(f"poet-{dictionary}", cfg, TrainConfig(**train), seed, vocab, arrays[:4], arrays[4:],
                                    embedding, paths, Path(tmp) / "model", Path(tmp) / "live", progress=False, verse=verse)
            poet, _ = load_poet(Path(tmp) / "model", vocab, "cpu")
        dev = arrays[4:]
        own = pooled_perplexities([all_token_nll(poet, ids) for ids in dev], dev, vocab)
        on_shared = own if dictionary == "shared" else pooled_perplexities(
            [folded_token_nll(poet, ids, t, fold) for ids, t in zip(dev, targets)], targets, shared)
        rows.append((dictionary, len(vocab), cfg.output, on_shared, own, summary["tokens_per_s"], summary["train_s"]))
        print(f"{dictionary}: dev PP on the shared dictionary {on_shared[0]:.2f} / {on_shared[1]:.2f}", flush=True)
    print("\n| dictionary | tokens | output layer | dev PP on the shared dictionary (all / chars) | on its own | tokens/s | train s |")
    print("|---|---|---|---|---|---|---|")
    for name, size, output, folded, own, speed, seconds in rows:
        print(f"| {name} | {size:,} | {output} | {folded[0]:.2f} / {folded[1]:.2f} | {own[0]:.2f} / {own[1]:.2f} | {speed:,.0f} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
