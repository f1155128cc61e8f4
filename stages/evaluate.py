"""evaluate@V: perplexity of the best weights, both ways, on the normal and the large dev split and on the
variant's own training split -> metrics/eval/V.json."""

import sys

import numpy as np

from tangshi.atomic import write_json
from tangshi.checkpoint import load_poet
from tangshi.errors import run_main
from tangshi.params import load_params
from tangshi.perplexity import perplexities
from tangshi.poet import all_token_nll
from tangshi.vocab import Vocab

# metric prefix -> encoded split; every dev poem of the normal set is a dev poem of the large set
SPLITS = {"dev": "normal/dev", "large_dev": "large/dev"}


def main() -> None:
    variant = sys.argv[1]
    params = load_params()
    vocab = Vocab.load("data/vocab.json")
    poet, config = load_poet(f"models/{variant}", vocab, params["train"]["device"])
    corpus = config["corpus"]
    metrics = {"corpus": corpus}
    for prefix, split in {**SPLITS, "train": f"{corpus}/train"}.items():
        ids = np.load(f"data/encoded/{split}.npy")
        ppl, ppl_chars = perplexities(all_token_nll(poet, ids), ids, vocab)
        metrics[f"{prefix}_ppl"], metrics[f"{prefix}_ppl_chars"] = round(ppl, 4), round(ppl_chars, 4)
    metrics.update(best_epoch=config["best_epoch"], epochs=config["epochs"], parameters=config["parameters"])
    write_json(f"metrics/eval/{variant}.json", metrics)
    print(f"evaluate@{variant}: {metrics}")


if __name__ == "__main__":
    run_main(main)
