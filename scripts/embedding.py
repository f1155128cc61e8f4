"""Random or pretrained input vectors for the poet: the same short curriculum from each, side by side (two shortened trainings: minutes; not timed this session).

    python scripts/embedding.py [--verse-epochs 0.05 --tang-epochs 1]   # from the repo root, after `dvc repro embed`

The poet of params.yaml (its dictionary, output layer and sizes), trained twice
with everything equal but how its embedding starts: `none` (random vectors) and
`finetune` (the skip-gram vectors of data/poet_embedding.npy, trained on Tang and
Song poems without any form's dev poems, then learned on). A full poet costs half
an hour on two cores, so this is a shortened curriculum: the pretrained vectors'
head start is largest early, and the gap it prints is an upper bound for the
full run. Prints the pooled dev perplexity of the four forms (the poet's own
dictionary, as its training logs it) after each epoch.
"""

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.batching import cut_pieces  # noqa: E402
from tangshi.data.vocab import Vocab  # noqa: E402
from tangshi.forms import FORMS, form_token_id, verse_with_form_tokens, with_start  # noqa: E402
from tangshi.models.poet import ModelConfig  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.training.loop import train_variant  # noqa: E402
from tangshi.training.trainer import TrainConfig  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--verse-epochs", type=float, default=0.05)
    p.add_argument("--tang-epochs", type=int, default=1)
    args = p.parse_args()
    params = load_params()
    model = ModelConfig(**params["models"]["poet"])
    vocab = Vocab.load("data/poet_vocab.json")
    inputs = [Path(f"data/poet_encoded/{f.folder}/{split}.npy") for split in ("train", "dev") for f in FORMS]
    arrays = [with_start(np.load(p), form_token_id(len(vocab), f)) for p, f in zip(inputs, FORMS + FORMS)]
    offsets, shapes = np.load("data/verse/offsets.npy"), np.load("data/verse/forms.npy")
    verse = cut_pieces(verse_with_form_tokens(np.load("data/poet_encoded/verse.npy"), offsets, shapes, len(vocab)), offsets)
    embedding = np.load("data/poet_embedding.npy")
    train = dict(params["train"], epochs=args.tang_epochs, patience=0)
    seed = train.pop("seed")
    rows = {}
    for start in ("none", "finetune"):
        cfg = replace(model, embedding=start, verse_epochs=args.verse_epochs, patience=None)
        with tempfile.TemporaryDirectory() as tmp:
            summary = train_variant(f"poet-{start}", cfg, TrainConfig(**train), seed, vocab, arrays[:4], arrays[4:], embedding,
                                    inputs, Path(tmp) / "model", Path(tmp) / "live", progress=False, verse=verse)
            curve = Path(tmp, "live", "plots", "metrics", "dev", "ppl.tsv").read_text().splitlines()[1:]
        rows[start] = [float(r.split("\t")[1]) for r in curve]
        print(f"{start:9s} dev PP by epoch: {' '.join(f'{x:.2f}' for x in rows[start])}  ({summary['train_s']:.0f} s)", flush=True)
    print(f"\n| embedding | {' | '.join(f'epoch {i + 1}' for i in range(len(rows['none'])))} |")
    print("|---|" + "---|" * len(rows["none"]))
    for start, ppl in rows.items():
        print(f"| {start} | " + " | ".join(f"{x:.2f}" for x in ppl) + " |")


if __name__ == "__main__":
    main()
