"""keywords: the keyword dictionary of lines (实字 by the 对仗 measure, ranked by TextRank) and the planner's
keyword co-occurrence, from the poet's training text (the verse and the four forms' Tang train splits, never a
dev poem); the planner tried on each form's dev poems -> data/keywords/, metrics/keywords.json, and twenty random
training lines with their keywords and a plan from each form's first dev title -> metrics/keywords.md."""

import random

import numpy as np

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import form_folder, read_poems
from tangshi.data.keywords import KEYWORDS, PLANNER, coverage, learn, line_examples
from tangshi.data.titles import read_titled
from tangshi.data.vocab import Vocab
from tangshi.errors import run_main
from tangshi.forms import FORMS
from tangshi.judge.parallel import ParallelModel
from tangshi.params import load_params
from tangshi.writing.plan import keyword_cohesion, learn_planner

PLANNED = 300  # dev poems a form the planner is tried on


def planner_trial(planner, titled: list, seed: int) -> tuple[dict, dict]:
    """On dev poems: the mean keyword cohesion of their own line keywords, of keywords of lines of different
    dev poems (the floor), and of plans from their titles; the share of a poem's keywords its title's plan
    holds, beside plans from another poem's title. And one example."""
    rng = random.Random(seed)
    titled = rng.sample(titled, min(PLANNED, len(titled)))
    own = [planner.keywords.of_poem(p) for _, p in titled]
    floor = [[own[(j + i) % len(own)][i] for i in range(len(words))] for j, words in enumerate(own)]
    plans = [planner.plan(len(words), title=m.title, seed=seed + j) for j, ((m, _), words) in enumerate(zip(titled, own))]
    other = plans[1:] + plans[:1]  # each poem beside the plan of the next poem's title

    def cohesion(sets):
        values = [c for c in (keyword_cohesion(planner, s) for s in sets) if c is not None]
        return round(float(np.mean(values)), 4) if values else None

    def recall(plan_sets):
        hits = [len({w for w in words if w} & set(plan)) / max(len({w for w in words if w}), 1)
                for words, plan in zip(own, plan_sets)]
        return round(float(np.mean(hits)), 4)

    return ({"poems": len(titled), "cohesion": {"real": cohesion(own), "floor": cohesion(floor), "planned_from_title": cohesion(plans)},
             "own_keywords_in_plan": {"its_title": recall(plans), "another_title": recall(other)}},
            {"title": titled[0][0].title, "poem": titled[0][1], "keywords": own[0], "plan": plans[0]})


def examples_md(lines: list[dict], plans: dict) -> str:
    out = ["# Keywords of lines and plans (stages/keywords.py)", "",
           "Twenty random training lines, each with its keyword (— for none):", "", "| line | keyword |", "|---|---|"]
    out += [f"| {e['line']} | {e['keyword'] or '—'} |" for e in lines]
    out += ["", "A random dev poem of each form, its lines' own keywords, and the plan the planner makes from its title:", "",
            "| form | title | poem | its keywords | planned from the title |", "|---|---|---|---|---|"]
    out += [f"| {f} | {e['title']} | {e['poem']} | {' '.join(w or '—' for w in e['keywords'])} | {' '.join(e['plan'])} |"
            for f, e in plans.items()]
    return "\n".join(out) + "\n"


def main() -> None:
    params = load_params()
    p, seed = params["keywords"], params["seed"]
    text = read_poems("data/verse/poems.txt") + [q for f in FORMS for q in read_poems(form_folder(f) / "train.txt")]
    vocab = Vocab.load("data/poet_vocab.json")
    writable = {vocab.tokens[i] for i in vocab.char_ids}
    keywords = learn(text, ParallelModel.load("data/parallel/pairs.npz"), p["size"], p["min_count"], p["word_pmi"], writable)
    planner = learn_planner(keywords, text, p["plan_floor"], p["plan_prior"])
    sample = random.Random(seed).sample(text, min(20000, len(text)))
    trials = {f.name: planner_trial(planner, read_titled(f.folder, "dev"), seed) for f in FORMS}
    metrics = {
        "size": len(keywords), "two_character": sum(len(w) == 2 for w in keywords.words),
        "lines_with_a_keyword": {"train (20,000 poems)": round(coverage(keywords, sample), 4),
                                 **{f"{f.name} dev": round(coverage(keywords, read_poems(form_folder(f) / "dev.txt")), 4) for f in FORMS}},
        "planner": {name: trial for name, (trial, _) in trials.items()},
    }
    keywords.save(KEYWORDS)
    planner.save(PLANNER)
    write_json("metrics/keywords.json", metrics)
    with atomic_path("metrics/keywords.md") as tmp:
        tmp.write_text(examples_md(line_examples(keywords, text, 20, seed), {n: e for n, (_, e) in trials.items()}),
                       encoding="utf-8")
    print(f"keywords: {metrics['size']} entries, {metrics['lines_with_a_keyword']}")


if __name__ == "__main__":
    run_main(main)
