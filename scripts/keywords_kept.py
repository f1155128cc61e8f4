"""How often the poet writes a user's keywords (about 2 minutes on 2 cores): each form's first 40 dev poems' own
line keywords given as the plan (as a user would give them: words and characters), meter, best of 4, params.yaml's
decoding.

    python scripts/keywords_kept.py      # from the repo root, after `dvc repro`

Printed per form: the share of lines that hold their keyword; for single characters; for two-character words
as words, and with both characters somewhere in the line; the meter; the mean NLL per chosen character.
"""

import sys
import time

sys.path.insert(0, "src")
from tangshi.data.corpus import poem_lines, read_poems  # noqa: E402
from tangshi.data.keywords import KEYWORDS, Keywords  # noqa: E402
from tangshi.forms import FORMS  # noqa: E402
from tangshi.judge.cohesion import WordStats  # noqa: E402
from tangshi.judge.meter import ToneLexicon, judge  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.writing.decode import Constraints, Request  # noqa: E402
from tangshi.writing.rerank import write_best  # noqa: E402

POEMS = 40  # a form's first dev poems
BEST_OF = 4


def holds(keyword: str, line: str) -> bool:
    return keyword in line


def share(pairs, holds=holds) -> str:
    return f"{sum(holds(k, line) for k, line in pairs) / max(len(pairs), 1):.2f} ({len(pairs)})"


def main() -> None:
    began = time.time()
    sample = load_params()["sample"]
    poet, _ = load_poet("models/poet", "data/vocab.json", "cpu")
    keywords = Keywords.load(KEYWORDS)
    stats = WordStats.load("data/cohesion/stats.npz")
    lexicon = ToneLexicon.load("data/meter/tones.json")
    constraints = Constraints(poet.vocab, lexicon)
    decoding = {k: sample[k] for k in ("temperature", "top_p", "repeat_penalty", "discount", "slor", "cohesion")}
    for n, form in enumerate(FORMS):
        plans = [keywords.of_poem(p) for p in read_poems(f"data/corpus/{form.folder}/dev.txt")[:POEMS]]
        written = write_best(poet, poet.vocab, [Request(keywords=p) for p in plans], BEST_OF, mode="meter",
                             constraints=constraints, seed=7 + n, form=form, stats=stats, **decoding)
        pairs = [(k, line) for plan, w in zip(plans, written) for k, line in zip(plan, poem_lines(w.poem)) if k]
        words = [(k, line) for k, line in pairs if len(k) == 2]
        meter = sum(judge(w.poem, lexicon, form=form).meter_valid for w in written) / len(written)
        nll = sum(w.chosen_nll for w in written) / sum(w.chosen for w in written)
        print(f"{form.name}  all {share(pairs)}"
              f"  characters {share([p for p in pairs if len(p[0]) == 1])}"
              f"  words {share(words)}"
              f"  word's characters both in the line {share(words, lambda k, line: all(c in line for c in k))}"
              f"  meter {meter:.3f}  NLL/char {nll:.2f}", flush=True)
    print(f"({time.time() - began:.0f} s)")


if __name__ == "__main__":
    main()
