"""How often the poet writes a user's keywords (about 2 minutes on 2 cores): each form's first 40 dev poems' own
line keywords given as the plan (as a user would give them: words and characters), meter, best of 4, params.yaml's
decoding.

    python scripts/keywords_kept.py      # from the repo root, after `dvc repro`

Printed per form: the share of lines that hold their keyword; for single characters; for two-character words
as words, and with both characters somewhere in the line.
"""

sys.path.insert(0, "src")
from tangshi.data.corpus import read_poems, poem_lines
from tangshi.data.keywords import KEYWORDS, Keywords
from tangshi.forms import FORMS
from tangshi.judge.cohesion import WordStats
from tangshi.judge.meter import ToneLexicon
from tangshi.models.checkpoint import load_poet
from tangshi.params import load_params
from tangshi.writing.decode import Constraints, Request
from tangshi.writing.rerank import write_best
params = load_params(); sample = params["sample"]
poet, _ = load_poet("models/poet", "data/vocab.json", "cpu")
kw = Keywords.load(KEYWORDS)
stats = WordStats.load("data/cohesion/stats.npz")
cons = Constraints(poet.vocab, ToneLexicon.load("data/meter/tones.json"))
for n, f in enumerate(FORMS):
    plans = [kw.of_poem(p) for p in read_poems(f"data/corpus/{f.folder}/dev.txt")[:40]]
    reqs = [Request(keywords=p) for p in plans]
    w = write_best(poet, poet.vocab, reqs, 4, mode="meter", constraints=cons, temperature=sample["temperature"], top_p=sample["top_p"],
                   seed=7 + n, form=f, stats=stats, **{k: sample[k] for k in ("repeat_penalty", "discount", "slor", "cohesion")})
    pairs = [(k, l) for p, x in zip(plans, w) for k, l in zip(p, poem_lines(x.poem)) if k]
    one = [(k, l) for k, l in pairs if len(k) == 1]; two = [(k, l) for k, l in pairs if len(k) == 2]
    r = lambda ps: sum(k in l for k, l in ps) / max(len(ps), 1)
    print(f.name, f"all {r(pairs):.2f} ({len(pairs)})  characters {r(one):.2f} ({len(one)})  words {r(two):.2f} ({len(two)})  word's characters both in the line {sum(all(c in l for c in k) for k, l in two) / max(len(two), 1):.2f}", flush=True)
