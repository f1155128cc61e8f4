"""sample@V: poems of every form the model writes, for every start character in every mode, judged
-> samples/V.txt, metrics/samples/V.json."""

import sys

from tangshi.atomic import write_json, write_text
from tangshi.data.corpus import read_all_dev_related, read_poems
from tangshi.data.vocab import Vocab
from tangshi.errors import run_main
from tangshi.judge.cohesion import WordStats, real_medians
from tangshi.judge.meter import ToneLexicon
from tangshi.judge.parallel import ParallelModel
from tangshi.models.checkpoint import load_poet, load_torch
from tangshi.params import choose, load_params
from tangshi.writing.plan import load_planner
from tangshi.writing.samples import sample_all


def main() -> None:
    variant = sys.argv[1]
    params = load_params()
    poet, _ = load_poet(f"models/{variant}", "data/vocab.json", params["train"]["device"])
    if choose("sample.weights", params["sample"]["weights"], ("best", "last")) == "last":
        poet.load_weights(load_torch(f"models/{variant}/last.pt")["state"]["model"])  # the last epoch's, for studies
    text, metrics = sample_all(
        poet, poet.vocab, ToneLexicon.load("data/meter/tones.json"), read_poems("data/verse/poems.txt") + read_all_dev_related(),
        params["sample"], params["seed"], ParallelModel.load("data/parallel/pairs.npz"), Vocab.load("data/vocab.json"),
        WordStats.load("data/cohesion/stats.npz"), real_medians("metrics/cohesion.json"),
        load_planner() if poet.conditions is not None and poet.conditions.keyword_slots else None,
    )
    write_text(f"samples/{variant}.txt", f"# {variant}: poems written by the model, judged by the 格律 rules\n\n" + text)
    write_json(f"metrics/samples/{variant}.json", metrics)
    print(f"sample@{variant}: " + ", ".join(f"{k} {v}" for k, v in metrics.items() if k not in ("by_mode", "rules")))


if __name__ == "__main__":
    run_main(main)
