"""Dev perplexity of a poet told a plan, four ways, on the first 600 dev poems of each form (about a minute).

    python scripts/plan_perplexity.py [MODEL_DIR]     # from the repo root; default models/poet

Each dev poem is told its own line keywords (data/keywords/keywords.json, learned from train text: the oracle
plan) or not, and its own title and poet or not: `nothing`, `plan`, `both` (title and poet), `all`. Over every
predicted token, on the poet's own dictionary. The pipeline's figures over every dev poem are in
metrics/eval/poet.json (`told`); this script reads any poet told plans, the trial's too (commit 3f03d80).
"""

import sys

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.conditions import keyword_ids  # noqa: E402
from tangshi.data.corpus import read_poems  # noqa: E402
from tangshi.data.keywords import KEYWORDS, Keywords  # noqa: E402
from tangshi.data.titles import read_metas, titles_path  # noqa: E402
from tangshi.forms import FORMS, with_start  # noqa: E402
from tangshi.models.checkpoint import load_poet  # noqa: E402
from tangshi.models.poet import all_token_nll  # noqa: E402
from tangshi.training.perplexity import pooled_perplexities  # noqa: E402

POEMS = 600
WAYS = {"nothing": (True, True, True), "plan": (True, True, False), "both": (False, False, True), "all": (False, False, False)}


def main(model: str) -> None:
    poet, _ = load_poet(model, "data/vocab.json", "cpu")
    keywords = Keywords.load(KEYWORDS)
    print("| form | " + " | ".join(WAYS) + " |\n|---|" + "---|" * len(WAYS))
    for f in FORMS:
        ids = with_start(np.load(f"data/poet_encoded/{f.folder}/dev.npy"), poet.start_id(f))[:POEMS]
        texts = read_poems(f"data/corpus/{f.folder}/dev.txt")[:POEMS]
        plans = [keyword_ids(keywords.of_poem(t), poet.vocab) for t in texts]
        rows = poet.conditions.encode_all(read_metas(titles_path(f.folder, "dev"))[:POEMS], plans)
        ppl = []
        for title, who, plan in WAYS.values():
            nll = all_token_nll(poet, ids, condition=poet.conditions.blanked(rows, title=title, poet=who, keywords=plan))
            ppl.append(pooled_perplexities([nll], [ids], poet.vocab)[0])
        print(f"| {f.name} | " + " | ".join(f"{x:.1f}" for x in ppl) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/poet")
