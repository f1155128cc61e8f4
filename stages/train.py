"""train@V: train one model variant -> models/V/ (checkpoints, config), dvclive/V/ (curves)."""

import sys
from pathlib import Path

import numpy as np

from tangshi.distributed import launched_by_torchrun, relaunch
from tangshi.errors import TangshiError, run_main
from tangshi.params import load_params
from tangshi.poet import ModelConfig, TrainConfig
from tangshi.train import train_variant
from tangshi.vocab import Vocab

INPUTS = [Path("data/encoded/train.npy"), Path("data/encoded/dev.npy"), Path("data/embedding.npy")]


def main() -> None:
    params = load_params()
    variant = sys.argv[1]
    models = params["models"]
    if variant not in models:
        raise TangshiError(f"unknown variant {variant!r}: choose one of {', '.join(models)}")
    processes = params["train"]["processes"]
    if processes > 1 and not launched_by_torchrun():
        relaunch(processes, [__file__, variant])
    train_ids, dev_ids, embedding = (np.load(p) for p in INPUTS)
    summary = train_variant(
        variant, ModelConfig(**models[variant]), TrainConfig(**params["train"]), params["seed"],
        Vocab.load("data/vocab.json"), train_ids, dev_ids, embedding, INPUTS,
        Path("models") / variant, Path("dvclive") / variant,
    )
    print(f"train@{variant}: {summary}")


if __name__ == "__main__":
    run_main(main)
