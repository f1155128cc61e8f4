"""Choosing sample.guidance without the dev split: the told study at several guidances, on a held-out tenth (about 17 s a guidance).

The told study (reports/told.py) runs with its judges learning from nine tenths of each form's train split and
scored on the last tenth in place of dev.

    python scripts/guidance.py [W ...]     # from the repo root, after `dvc repro train@poet`; default 0 0.5 1 2 3

The poet has read the held-out tenth (it is its training text), so the figures
are not the told stage's; they only rank the guidances against each other. The
poems each guidance writes are new either way. Prints, per guidance, the
voice (mean share written as each poet given to that poet, and of the
ceiling), the subject (true title first among distractors, with the title and
without, and of the ceiling) and the perplexity of what was written under the
poet told the request, unguided (what leaning on the request costs), and the
first poem written as each poet.
"""

import sys
import time

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.corpus import read_poems  # noqa: E402
from tangshi.data.titles import read_metas, read_titled, titles_path  # noqa: E402
from tangshi.forms import FORMS  # noqa: E402
from tangshi.judge.meter import ToneLexicon  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.reports.told import study  # noqa: E402
from tangshi.writing.decode import Constraints  # noqa: E402

HELD_OUT = 0.1


def main(guidances: list[float]) -> None:
    params = load_params()
    poet, _ = load_poet("models/poet", "data/vocab.json", "cpu")
    rng = np.random.default_rng(params["seed"])
    rest, held = {}, {}
    for f in FORMS:
        pairs = read_titled(f.folder, "train")
        order = rng.permutation(len(pairs))
        cut = int(len(pairs) * HELD_OUT)
        held[f.name] = [pairs[i] for i in order[:cut]]
        rest[f.name] = [pairs[i] for i in order[cut:]]
    verse = list(zip(read_metas(titles_path()), read_poems("data/verse/poems.txt")))
    constraints = Constraints(poet.vocab, ToneLexicon.load("data/meter/tones.json"))
    print("| guidance | voice (of ceiling) | subject with / without title (of ceiling) | PP written as / told nobody | "
          "PP with / without title | s |")
    print("|---|---|---|---|---|---|")
    firsts = {}
    for w in guidances:
        start = time.perf_counter()
        r = study(poet, constraints, rest, held, verse, params["told"], {**params["sample"], "guidance": w}, params["seed"])
        v, s = r["voice"], r["subject"]
        print(f"| {w:g} | {v['mean_written_as']:.3f} ({v['share_of_ceiling']:.0%} of {v['ceiling']['mean_recall']:.3f}) | "
              f"{s['with_title']:.3f} / {s['without_title']:.3f} ({s['share_of_ceiling']:.0%} of {s['ceiling']:.3f}) | "
              f"{v['chosen_ppl']['written_as']:.1f} / {v['chosen_ppl']['told_nobody']:.1f} | "
              f"{s['chosen_ppl']['with_title']:.1f} / {s['chosen_ppl']['without_title']:.1f} | "
              f"{time.perf_counter() - start:.0f} |", flush=True)
        firsts[w] = v["first_poem"]
    for w, poems in firsts.items():
        print(f"\nguidance {w:g}, the first poem written as each poet:")
        for name, poem in poems.items():
            print(f"  {name}  {poem}")


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [0, 0.5, 1, 2, 3])
