"""The planner's choice, on held-out train titles: poems written to plans of each setting, measured (about a minute a
setting on 2 cores).

    python scripts/planning.py            # from the repo root, after `dvc repro train@poet keywords cohesion`

As scripts/decoding.py does, each form's Tang train split loses a held-out tenth (the same seeded draw): the word
statistics and the subject measure (judge/subject.py) learn from the rest, and the references are the held-out
poems'. For each setting the poet writes, per form, a poem for each of TITLES held-out titles it can read (meter,
best of sample.best_of, params.yaml's decoding and guidance), told the title and a plan of its planner setting
(`title only`: no plan). Printed per setting and form: the share of lines that hold their keyword, specificity
(of the held-out real poems'), the share above the held-out real median of cohesion, meter, and the share whose
own title ranks first among DISTRACTORS other held-out titles. The planner's co-occurrence was counted over all
train poems (the held-out ones too), and the poet read them: the figures only rank the settings.
"""

import sys
import time

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.keywords import KEYWORDS, PLANNER, Keywords  # noqa: E402
from tangshi.data.titles import read_titled  # noqa: E402
from tangshi.forms import FORMS  # noqa: E402
from tangshi.judge.cohesion import WordStats, measures, references  # noqa: E402
from tangshi.judge.meter import ToneLexicon, judge  # noqa: E402
from tangshi.judge.subject import TitleScorer  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.writing.decode import Constraints, Request  # noqa: E402
from tangshi.writing.plan import Planner, keywords_kept  # noqa: E402
from tangshi.writing.rerank import write_best  # noqa: E402

HELD_OUT = 0.1
TITLES = 40  # held-out titles a form
SETTINGS = {  # name -> planner (floor, prior); None: told the title alone
    "title only": None,
    "PMI (prior 0), floor 300": (300, 0.0),
    "prior 0.1, floor 300": (300, 0.1),
    "prior 0.25, floor 300": (300, 0.25),
    "prior 0.1, floor 1": (1, 0.1),
    "prior 0.1, floor 1000": (1000, 0.1),
}


def main() -> None:
    params = load_params()
    sample, seed = params["sample"], params["seed"]
    poet, _ = load_poet("models/poet", "data/vocab.json", "cpu")
    rng = np.random.default_rng(seed)
    held, rest = {}, []
    for f in FORMS:
        titled = read_titled(f.folder, "train")
        order = rng.permutation(len(titled))
        cut = int(len(titled) * HELD_OUT)
        held[f.name] = [titled[i] for i in order[:cut]]
        rest += [titled[i] for i in order[cut:]]
    out = {p for pairs in held.values() for _, p in pairs}
    from tangshi.data.corpus import read_poems

    stats = WordStats.learn([p for p in read_poems("data/verse/poems.txt") if p not in out] + [p for _, p in rest])
    scorer = TitleScorer([(m.title, p) for m, p in rest])
    keywords = Keywords.load(KEYWORDS)
    base = Planner.load(keywords, PLANNER)
    constraints = Constraints(poet.vocab, ToneLexicon.load("data/meter/tones.json"))
    kw = {"mode": "meter", "constraints": constraints, "temperature": sample["temperature"], "top_p": sample["top_p"],
          "guidance": sample["guidance"], "stats": stats,
          **{k: sample[k] for k in ("repeat_penalty", "discount", "slor", "cohesion")}}
    print("| setting | form | keywords kept | specificity (of real) | above real median | meter | own title first | s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, setting in SETTINGS.items():
        planner = None if setting is None else Planner(keywords, base.together, base.df, base.poems, *setting)
        for number, f in enumerate(FORMS):
            pairs = [(m, p) for m, p in held[f.name] if poet.conditions.title_words(m.title) and scorer.has_keyword(m.title)]
            pairs = pairs[:TITLES]
            ref = references(stats, [p for _, p in held[f.name]], seed)
            requests = [Request(title=m.title, keywords=None if planner is None else
                                planner.plan(f.lines, title=m.title, seed=seed + i)) for i, (m, _) in enumerate(pairs)]
            start = time.perf_counter()
            written = write_best(poet, poet.vocab, requests, sample["best_of"], seed=seed + number, form=f, **kw)
            poems = [w.poem for w in written]
            got = measures(poems, stats, ref["cohesion_median"])
            pool = [m.title for m, _ in held[f.name] if scorer.has_keyword(m.title)]
            first = scorer.first_share([m.title for m, _ in pairs], poems, pool, seed)
            kept = keywords_kept([r.keywords for r in requests], poems) if planner is not None else float("nan")
            meter = np.mean([judge(p, constraints.lexicon, poet.vocab, form=f).meter_valid for p in poems])
            print(f"| {name} | {f.name} | {kept:.2f} | {got['specificity'] / ref['real']['specificity']:.0%} | "
                  f"{got['cohesion_above_real_median']:.2f} | {meter:.3f} | {first:.2f} | {time.perf_counter() - start:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
