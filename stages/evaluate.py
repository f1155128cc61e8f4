"""evaluate@V: perplexity of the best weights, both ways, on the normal and the large dev split and on the
variant's own training split; for a poet of every form also on each form's Tang dev split -> metrics/eval/V.json.

A model of the poet's own dictionary is scored twice: on its dictionary, and folded onto the shared one
(training/perplexity.py) — the `folded` figures are the ones that compare with the five report variants.
Every figure but `told` is of poems told nothing; a poet told titles and poets is also scored, in `told`, on each
dev split told nothing, its poet, its title, both (the dev poems' own, data/titles/; its own dictionary); a poet
told a plan also told the dev poems' own line keywords (the oracle plan: data/keywords.py), alone and with both."""

import json
import sys
from functools import cache
from pathlib import Path

import numpy as np

from tangshi.atomic import write_json
from tangshi.data.conditions import keyword_ids
from tangshi.data.corpus import read_poems
from tangshi.data.keywords import KEYWORDS, Keywords
from tangshi.data.titles import read_metas, titles_path
from tangshi.data.vocab import ENCODED, Vocab
from tangshi.errors import TangshiError, run_main
from tangshi.forms import WULV, with_start
from tangshi.models.checkpoint import load_poet
from tangshi.models.poet import all_token_nll
from tangshi.params import load_params
from tangshi.training.perplexity import build_fold, folded_token_nll, line_role_perplexities, pooled_perplexities

# metric prefix -> encoded split; every dev poem of the normal set is a dev poem of the large set
SPLITS = {"dev": "normal/dev", "large_dev": "large/dev"}
# way -> blank the title, the poet, the plan
TOLD = {"nothing": (True, True, True), "poet": (True, False, True), "title": (False, True, True), "both": (False, False, True)}
PLANNED = {"plan": (True, True, False), "all": (False, False, False)}  # a poet told a plan: the oracle plan, and everything


def main() -> None:
    variant = sys.argv[1]
    params = load_params()
    poet, config = load_poet(f"models/{variant}", "data/vocab.json", params["train"]["device"])
    vocab, corpus = poet.vocab, config["corpus"]
    own = config.get("dictionary", "shared") != "shared"
    shared = Vocab.load("data/vocab.json")
    fold = build_fold(vocab, shared, json.loads(Path("data/poet_encoded/oov_chars.json").read_text(encoding="utf-8"))) if own else None

    def load(split: str, form=WULV, dictionary: str = config.get("dictionary", "shared")) -> np.ndarray:
        ids = np.load(f"data/{ENCODED[dictionary]}/{split}.npy")
        if dictionary != config.get("dictionary", "shared"):
            return ids  # targets only: their `*` is never scored
        return with_start(ids, poet.start_id(form))  # `*`, or the form's token

    form_nlls = []  # each form's dev NLLs, for the line roles pooled over the forms
    scored = {}  # (split, form, folded) -> NLLs told nothing: the 五律 dev split is the large one, scored once

    def nll(split: str, form, folded: bool = False) -> np.ndarray:
        key = (split, form.name, folded)
        if key not in scored:
            ids = load(split, form)
            scored[key] = folded_token_nll(poet, ids, load(split, form, "shared"), fold) if folded else all_token_nll(poet, ids)
        return scored[key]

    def ppl(splits: list[tuple[str, object]], folded: bool = True, by_line: bool = False) -> dict:
        sets = [load(s, f) for s, f in splits]
        nlls = [nll(s, f) for s, f in splits]
        out = dict(zip(("ppl", "ppl_chars"), pooled_perplexities(nlls, sets, vocab)))
        if by_line:  # characters of couplets' first and second lines apart: what the aligned input is for
            out.update({f"{role}_lines_ppl": v for role, v in line_role_perplexities(nlls, [f for _, f in splits]).items()})
            form_nlls.extend(zip(nlls, [f for _, f in splits]))
        if own and folded:  # the same poems as the shared dictionary writes them, scored through the fold
            targets = [load(s, f, "shared") for s, f in splits]
            nlls = [nll(s, f, folded=True) for s, f in splits]
            out.update(zip(("folded_ppl", "folded_ppl_chars"), pooled_perplexities(nlls, targets, shared)))
        return {k: round(v, 4) for k, v in out.items()}

    metrics = {"corpus": corpus, "dictionary": config.get("dictionary", "shared"), "vocab_size": len(vocab)}
    train = [(f"{f.folder}/train", f) for f in poet.forms] if corpus == "forms" else [(f"{corpus}/train", WULV)]
    for prefix, splits in {**{p: [(s, WULV)] for p, s in SPLITS.items()}, "train": train}.items():
        metrics.update({f"{prefix}_{k}": v for k, v in ppl(splits, folded=prefix != "train").items()})
    if len(poet.forms) > 1:  # each form's Tang dev split
        metrics["forms"] = {}
        for form in poet.forms:
            dev = ppl([(f"{form.folder}/dev", form)], by_line=True)
            poems = len(np.load(f"data/encoded/{form.folder}/dev.npy"))
            metrics["forms"][form.name] = {"dev_poems": poems, **{f"dev_{k}": v for k, v in dev.items()}}
        pooled = line_role_perplexities(*zip(*form_nlls))  # every form's dev poems
        metrics["forms_dev_lines_ppl"] = {role: round(v, 4) for role, v in pooled.items()}
    if poet.conditions is not None:
        metrics["told"] = told_perplexities(poet, vocab, load, nll)
        if poet.conditions.keyword_slots and own:  # the oracle plan's gain on the figure that compares with the five
            metrics["plan_folded"] = plan_folded(poet, vocab, load, fold, shared, nll)
    metrics.update(best_epoch=config["best_epoch"], epochs=config["epochs"], parameters=config["parameters"])
    write_json(f"metrics/eval/{variant}.json", metrics)
    print(f"evaluate@{variant}: {metrics}")


@cache
def keyword_dictionary() -> Keywords:
    return Keywords.load(KEYWORDS)


def oracle_rows(poet, vocab, split: str) -> np.ndarray:
    """Each dev poem of `split` told its own title, poet and line keywords (the dictionary learned from train text)."""
    plans = [keyword_ids(keyword_dictionary().of_poem(t), vocab) for t in read_poems(f"data/corpus/{split}.txt")]
    return poet.conditions.encode_all(read_metas(titles_path(*split.split("/"))), plans)


def plan_folded(poet, vocab, load, fold, shared, nll) -> dict:
    """Dev PP of the normal and large 五律 splits folded onto the shared dictionary, told nothing (`nll`, the
    scores already made) and told the oracle plan alone."""
    out = {}
    for name, split in SPLITS.items():
        ids, targets = load(split), load(split, dictionary="shared")
        plan = poet.conditions.blanked(oracle_rows(poet, vocab, split), title=True, poet=True)
        out[name] = {way: round(pooled_perplexities([nlls], [targets], shared)[0], 4)
                     for way, nlls in (("nothing", nll(split, WULV, folded=True)),
                                       ("plan", folded_token_nll(poet, ids, targets, fold, condition=plan)))}
    return out


def told_perplexities(poet, vocab, load, nll) -> dict:
    """Dev PP (all tokens, own dictionary) of each form's dev split and the normal and large 五律 dev, and of the
    four forms' pooled, told nothing (`nll`, the scores already made), the poet, the title, both (and the oracle
    plan, alone and with both)."""
    sets = {f.name: (f"{f.folder}/dev", f) for f in poet.forms}
    sets.update({f"{WULV.name} {s.split('/')[0]}": (s, WULV) for s in SPLITS.values()})
    keywords = bool(poet.conditions.keyword_slots)  # and the dev poems' own line keywords: the oracle plan
    ways = {**TOLD, **(PLANNED if keywords else {})}
    out, pooled = {}, {way: [] for way in ways}
    for name, (split, form) in sets.items():
        same = next((n for n, s in sets.items() if s == (split, form) and n in out), None)
        if same is not None:  # the 五律 dev split is the large one
            out[name] = dict(out[same])
            continue
        ids = load(split, form)
        rows = oracle_rows(poet, vocab, split) if keywords else poet.conditions.encode_all(read_metas(titles_path(*split.split("/"))))
        if len(rows) != len(ids):
            raise TangshiError(f"{titles_path(*split.split('/'))} has {len(rows)} poems for {len(ids)} encoded: "
                               "run `dvc repro titles`")
        out[name] = {}
        for way, (title, who, plan) in ways.items():
            if title and who and plan:  # told nothing: every row blanked reads as no row at all, scored already
                nlls = nll(split, form)
            else:
                nlls = all_token_nll(poet, ids, condition=poet.conditions.blanked(rows, title=title, poet=who, keywords=plan))
            out[name][way] = round(pooled_perplexities([nlls], [ids], vocab)[0], 4)
            if name in {f.name for f in poet.forms}:
                pooled[way].append(nlls.reshape(-1))
    out["pooled"] = {way: round(float(np.exp(np.concatenate(n).mean())), 4) for way, n in pooled.items()}
    return out


if __name__ == "__main__":
    run_main(main)
