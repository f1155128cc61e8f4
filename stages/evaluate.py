"""evaluate@V: perplexity of the best weights, both ways, on the normal and the large dev split and on the
variant's own training split; for a poet of every form also on each form's Tang dev split -> metrics/eval/V.json."""

import sys

import numpy as np

from tangshi.atomic import write_json
from tangshi.data.vocab import Vocab
from tangshi.errors import run_main
from tangshi.forms import WULV, with_start
from tangshi.models.checkpoint import load_poet
from tangshi.models.poet import all_token_nll
from tangshi.params import load_params
from tangshi.training.perplexity import pooled_perplexities

# metric prefix -> encoded split; every dev poem of the normal set is a dev poem of the large set
SPLITS = {"dev": "normal/dev", "large_dev": "large/dev"}


def main() -> None:
    variant = sys.argv[1]
    params = load_params()
    vocab = Vocab.load("data/vocab.json")
    poet, config = load_poet(f"models/{variant}", vocab, params["train"]["device"])
    corpus = config["corpus"]

    def load(split: str, form=WULV) -> np.ndarray:
        return with_start(np.load(f"data/encoded/{split}.npy"), poet.start_id(form))  # `*`, or the form's token

    def ppl(sets: list[np.ndarray]) -> tuple[float, float]:
        return pooled_perplexities([all_token_nll(poet, ids) for ids in sets], sets, vocab)

    metrics = {"corpus": corpus}
    train = [load(f"{f.folder}/train", f) for f in poet.forms] if corpus == "forms" else [load(f"{corpus}/train")]
    for prefix, sets in {**{p: [load(s)] for p, s in SPLITS.items()}, "train": train}.items():
        metrics[f"{prefix}_ppl"], metrics[f"{prefix}_ppl_chars"] = (round(x, 4) for x in ppl(sets))
    if len(poet.forms) > 1:  # each form's Tang dev split
        metrics["forms"] = {}
        for form in poet.forms:
            dev = load(f"{form.folder}/dev", form)
            all_tokens, chars = ppl([dev])
            metrics["forms"][form.name] = {"dev_poems": len(dev), "dev_ppl": round(all_tokens, 4), "dev_ppl_chars": round(chars, 4)}
    metrics.update(best_epoch=config["best_epoch"], epochs=config["epochs"], parameters=config["parameters"])
    write_json(f"metrics/eval/{variant}.json", metrics)
    print(f"evaluate@{variant}: {metrics}")


if __name__ == "__main__":
    run_main(main)
