"""How many candidates a poem is worth: best-of-N writing measured for N = 1 … 32 on one trained variant (minutes: 70 poems at each of six N; not timed this session).

    python scripts/best_of.py poet          # from the repo root, after `dvc repro`

For each N: 70 meter-constrained poems (10 for each start character of params.yaml,
the sample stage's seed and sampling), their chosen-character perplexity under the
model, distinct-2, repeated characters, lines and poems found in the Tang and Song
verse, and the seconds the batch took on this machine.
"""

import sys
import time

sys.path.insert(0, "src")
from tangshi.data.corpus import read_all_dev_related, read_poems  # noqa: E402
from tangshi.judge.meter import ToneLexicon, judge  # noqa: E402
from tangshi.judge.quality import Reference, set_metrics  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.writing.decode import Constraints, Request  # noqa: E402
from tangshi.writing.rerank import write_best  # noqa: E402


def main(variant: str) -> None:
    params = load_params()
    cfg = params["sample"]
    lexicon = ToneLexicon.load("data/meter/tones.json")
    poet, _ = load_poet(f"models/{variant}", "data/vocab.json", "cpu")
    vocab = poet.vocab  # the shared dictionary or the poet's own
    constraints = Constraints(vocab, lexicon)
    reference = Reference.of(read_poems("data/verse/poems.txt") + read_all_dev_related())
    requests = [Request(start=c) for c in cfg["starts"] for _ in range(cfg["per_start"])]
    kw = {k: cfg[k] for k in ("temperature", "top_k", "top_p")}
    print(f"| best of N ({variant}, meter) | chosen PP | every rule | distinct-2 | repeated chars | copied lines | copied poems | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (1, 2, 4, 8, 16, 32):
        start = time.perf_counter()
        written = write_best(poet, vocab, requests, n, mode="meter", constraints=constraints, seed=params["seed"], **kw)
        seconds = time.perf_counter() - start
        m = set_metrics([judge(w.poem, lexicon, vocab) for w in written], reference,
                        sum(w.chosen_nll for w in written), sum(w.chosen for w in written))
        print(f"| {n} | {m['chosen_ppl_chars']:.1f} | {m['meter_valid']:.3f} | {m['distinct_2']:.3f} | {m['repeat_rate']:.3f} | "
              f"{m['copied_lines']:.3f} | {m['copied_poems']:.3f} | {seconds:.1f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "poet")
