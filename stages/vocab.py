"""vocab: dictionary and encoded ids -> data/vocab.json, data/encoded/{train,dev}.npy, metrics/vocab.json."""

from tangshi.atomic import atomic_path, write_json
from tangshi.corpus import read_poems
from tangshi.errors import run_main
from tangshi.params import load_params
from tangshi.vocab import build_vocab, encode_all, oov_rate

import numpy as np


def main() -> None:
    params = load_params()
    cfg = params["vocab"]
    train, dev = read_poems("data/corpus/train.txt"), read_poems("data/corpus/dev.txt")
    vocab = build_vocab(train, cfg["size"], cfg["oov"], params["seed"])
    with atomic_path("data/encoded") as tmp:
        tmp.mkdir()
        np.save(tmp / "train.npy", encode_all(vocab, train))
        np.save(tmp / "dev.npy", encode_all(vocab, dev))
    write_json("data/vocab.json", vocab.to_json())
    metrics = {
        "size": len(vocab),
        "characters": len(vocab.char_ids),
        "oov": cfg["oov"],
        "oov_rate_train": round(oov_rate(vocab, train), 5),
        "oov_rate_dev": round(oov_rate(vocab, dev), 5),
    }
    write_json("metrics/vocab.json", metrics)
    print(f"vocab: {metrics}")


if __name__ == "__main__":
    run_main(main)
