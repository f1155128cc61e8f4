"""Train the single LSTM on the fixture, in one process or under torchrun: tests/test_distributed.py runs it."""

import sys
from pathlib import Path

import numpy as np

from tangshi.data.corpus import build_corpus, load_json_folder
from tangshi.data.fetch import fetch
from tangshi.data.vocab import build_vocab, encode_all
from tangshi.models.poet import ModelConfig
from tangshi.training.loop import train_variant
from tangshi.training.trainer import TrainConfig

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "chinese-poetry"


def main(out: Path, processes: int) -> None:
    raw = out / f"raw-{processes}"
    fetch(str(FIXTURE), raw)
    corpus = build_corpus(load_json_folder(raw / "tang"), 2300, 42, 0.25)
    train = [t for _, t in corpus.large.train][:288]  # a multiple of the global batch
    vocab = build_vocab(train, 300, "random", 42)
    arrays = {
        "train": encode_all(vocab, train), "dev": encode_all(vocab, [t for _, t in corpus.large.dev]),
        "embedding": np.random.default_rng(0).standard_normal((len(vocab), 16)).astype(np.float32),
    }
    inputs = []
    for name, array in arrays.items():
        np.save(out / f"{name}-{processes}.npy", array)
        inputs.append(out / f"{name}-{processes}.npy")
    train_variant(
        "single", ModelConfig("torch", 1, 32, 0.0),
        TrainConfig(epochs=3, patience=0, batch_size=32, lr=0.005, device="cpu", processes=processes),
        42, vocab, arrays["train"], arrays["dev"], arrays["embedding"], inputs,
        out / f"models-{processes}", out / f"dvclive-{processes}", progress=False,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
