"""The perplexity cost of meter constraints, with this decoder and with an older one, on the same trained models (minutes: 700 poems a variant twice; not timed this session).

    git worktree add /tmp/tangshi-old f79da1e      # the decoder before the standard rules (issue 12)
    python scripts/decoder_cost.py /tmp/tangshi-old/src [POEMS_PER_START]

For each trained variant: the chosen-character perplexity (under the unconstrained
model) of the sample stage's requests (10 poems for each start character, or
POEMS_PER_START: 70 poems differ by several percent from one seed to the next,
so compare decoders on more) written plainly in form mode and in meter mode, the share of
the meter poems keeping every rule of the standard judge, and the same with the
old decoder. Both decoders see the same models, requests, seeds and sampling.
"""

import importlib.util
import math
import sys
from pathlib import Path

sys.path.insert(0, "src")
from tangshi.judge.meter import ToneLexicon, judge  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.params import load_params  # noqa: E402
from tangshi.writing.decode import Constraints, Request, write_poems  # noqa: E402


def load_package(src: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, src / "tangshi" / "__init__.py", submodule_search_locations=[str(src / "tangshi")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    try:  # the package grouped by pipeline step, or an older flat one
        return importlib.import_module(f"{name}.writing.decode")
    except ModuleNotFoundError:
        return importlib.import_module(f"{name}.decode")


def chosen_ppl(written) -> float:
    return math.exp(sum(w.chosen_nll for w in written) / sum(w.chosen for w in written))


def main(old_src: Path, per: int | None) -> None:
    old = load_package(old_src, "tangshi_old")
    params = load_params()
    lexicon = ToneLexicon.load("data/meter/tones.json")
    starts, per = params["sample"]["starts"], per or params["sample"]["per_start"]
    kw = {k: params["sample"][k] for k in ("temperature", "top_k", "top_p")}
    print("| variant | chosen PP form | meter, old decoder | meter, this decoder | every rule kept (old / this) |")
    print("|---|---|---|---|---|")
    for variant in params["models"]:
        poet, _ = load_poet(f"models/{variant}", "data/vocab.json", "cpu")
        vocab = poet.vocab
        row = {}
        for label, decode in (("old", old), ("new", sys.modules["tangshi.writing.decode"])):
            requests = [decode.Request(start=c) for c in starts for _ in range(per)]
            constraints = decode.Constraints(vocab, lexicon)
            form = decode.write_poems(poet, vocab, requests, "form", constraints, seed=params["seed"], **kw)
            meter = decode.write_poems(poet, vocab, requests, "meter", constraints, seed=params["seed"], **kw)
            kept = sum(judge(w.poem, lexicon, vocab).meter_valid for w in meter) / len(meter)
            row[label] = (chosen_ppl(form), chosen_ppl(meter), kept)
        print(f"| {variant} | {row['new'][0]:.1f} | {row['old'][1]:.1f} | {row['new'][1]:.1f} | {row['old'][2]:.3f} / {row['new'][2]:.3f} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else None)
