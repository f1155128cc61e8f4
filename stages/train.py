"""train@V: train one model variant -> models/V/ (checkpoints, config), dvclive/V/ (curves)."""

import sys
from pathlib import Path

import numpy as np

from tangshi.batching import cut_pieces
from tangshi.distributed import launched_by_torchrun, relaunch
from tangshi.errors import TangshiError, run_main
from tangshi.params import load_params
from tangshi.poet import ModelConfig, TrainConfig
from tangshi.train import train_variant
from tangshi.vocab import Vocab

EMBEDDING = Path("data/embedding.npy")
VERSE = [Path("data/verse/ids.npy"), Path("data/verse/offsets.npy")]


def main() -> None:
    params = load_params()
    variant = sys.argv[1]
    models = params["models"]
    if variant not in models:
        raise TangshiError(f"unknown variant {variant!r}: choose one of {', '.join(models)}")
    processes = params["train"]["processes"]
    if processes > 1 and not launched_by_torchrun():
        relaunch(processes, [__file__, variant])
    model = ModelConfig(**models[variant])
    inputs = [Path(f"data/encoded/{model.corpus}/{split}.npy") for split in ("train", "dev")] + [EMBEDDING]
    verse = None
    if model.verse_epochs:
        inputs += VERSE
        verse = cut_pieces(*(np.load(p) for p in VERSE))
    train_ids, dev_ids, embedding = (np.load(p) for p in inputs[:3])
    train = dict(params["train"])
    seed = train.pop("seed")  # initialisation, shuffling, dropout: the data stages keep the global seed
    summary = train_variant(
        variant, model, TrainConfig(**train), seed,
        Vocab.load("data/vocab.json"), train_ids, dev_ids, embedding, inputs,
        Path("models") / variant, Path("dvclive") / variant, verse=verse,
    )
    print(f"train@{variant}: {summary}")


if __name__ == "__main__":
    run_main(main)
