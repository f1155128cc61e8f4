"""evaluate@V: perplexity of the best weights on dev and train, both ways -> metrics/eval/V.json."""

import sys

import numpy as np

from tangshi.atomic import write_json
from tangshi.checkpoint import load_poet
from tangshi.errors import run_main
from tangshi.params import load_params
from tangshi.perplexity import perplexities
from tangshi.poet import all_token_nll
from tangshi.vocab import Vocab


def main() -> None:
    variant = sys.argv[1]
    device = load_params()["train"]["device"]
    vocab = Vocab.load("data/vocab.json")
    poet, config = load_poet(f"models/{variant}", vocab, device)
    metrics = {}
    for split in ("dev", "train"):
        ids = np.load(f"data/encoded/{split}.npy")
        ppl, ppl_chars = perplexities(all_token_nll(poet, ids), ids, vocab)
        metrics[f"{split}_ppl"], metrics[f"{split}_ppl_chars"] = round(ppl, 4), round(ppl_chars, 4)
    metrics.update(best_epoch=config["best_epoch"], epochs=config["epochs"], parameters=config["parameters"])
    write_json(f"metrics/eval/{variant}.json", metrics)
    print(f"evaluate@{variant}: {metrics}")


if __name__ == "__main__":
    run_main(main)
