"""How much a plain middle couplet should cost in best-of-N: the poet's 律诗 ranked with 对仗 at several weights (minutes; not timed this session).

    python scripts/parallel_weight.py poet      # from the repo root, after `dvc repro`

For 五律 and 七律: 70 meter-constrained poems (10 for each start character of
params.yaml, the sample stage's seed and sampling), each the best of
sample.best_of candidates, ranked by rerank.score with PLAIN_MIDDLE nats for each
middle couplet that is not parallel (0: the ranking without 对仗). The candidates
are written once and ranked at every weight, so the rows differ in the choice
alone. Beside them, the share of real dev 律诗 whose middle couplets are both
parallel (metrics/parallel.json); after the table, the median score of a middle
couplet and the share of lines of two different poems judged parallel, for the
poet's poems ranked without 对仗 and for the real dev poems.
"""

import json
import random
import sys

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.corpus import read_all_dev_related, read_poems  # noqa: E402
from tangshi.forms import BY_NAME  # noqa: E402
from tangshi.judge.meter import ToneLexicon, judge  # noqa: E402
from tangshi.judge.parallel import ParallelModel, both_middle_parallel, middle_couplets, random_couplets  # noqa: E402
from tangshi.judge.quality import Reference, set_metrics  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.writing.decode import Constraints, Request, write_poems  # noqa: E402
from tangshi.writing.rerank import score  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)


def main(variant: str) -> None:
    params = load_params()
    cfg, n = params["sample"], params["sample"]["best_of"]
    lexicon = ToneLexicon.load("data/meter/tones.json")
    poet, _ = load_poet(f"models/{variant}", "data/vocab.json", "cpu")
    vocab = poet.vocab  # the shared dictionary or the poet's own
    parallel = ParallelModel.load("data/parallel/pairs.npz")
    real = json.loads(open("metrics/parallel.json", encoding="utf-8").read())["dev"]
    constraints = Constraints(vocab, lexicon)
    reference = Reference.of(read_poems("data/verse/poems.txt") + read_all_dev_related())
    kw = {k: cfg[k] for k in ("temperature", "top_k", "top_p")}
    print(f"| form | plain middle couplet costs (nats) | both middle couplets parallel | chosen PP | every rule | distinct-2 | copied lines |")
    print("|---|---|---|---|---|---|---|")
    medians = []
    for name in ("五律", "七律"):
        form = BY_NAME[name]
        requests = [Request(start=c) for c in cfg["starts"] for _ in range(cfg["per_start"])]
        candidates = write_poems(poet, vocab, [r for r in requests for _ in range(n)], "meter", constraints,
                                 seed=params["seed"], form=form, **kw)
        for weight in WEIGHTS:
            chosen = [min(candidates[i * n : (i + 1) * n], key=lambda w: score(w, parallel, weight)) for i in range(len(requests))]
            m = set_metrics([judge(w.poem, lexicon, vocab, form=form) for w in chosen], reference,
                            sum(w.chosen_nll for w in chosen), sum(w.chosen for w in chosen))
            both = sum(both_middle_parallel(parallel, w.poem) for w in chosen) / len(chosen)
            print(f"| {name} | {weight} | {both:.3f} | {m['chosen_ppl_chars']:.1f} | {m['meter_valid']:.3f} | "
                  f"{m['distinct_2']:.3f} | {m['copied_lines']:.3f} |")
            if weight == 0:
                medians.append((name, [w.poem for w in chosen]))
        print(f"| {name} | real dev poems | {real[name]['both_middle']:.3f} | | | | |")
    dev = {"五律": read_poems("data/corpus/large/dev.txt"), "七律": read_poems("data/corpus/qilv/dev.txt")}
    for name, poems in medians:
        for label, group in (("poet, no 对仗 in the ranking", poems), ("real dev", dev[name])):
            median = np.median([parallel.couplet_score(*c) for c in middle_couplets(group)])
            crossed = np.mean([parallel.is_parallel(*c) for c in random_couplets(group, 4 * len(group), random.Random(0))])
            print(f"{name} {label}: median middle-couplet score {median:.2f}, lines of two poems parallel {crossed:.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "poet")
