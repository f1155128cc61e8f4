"""The report: one table of every variant and the plots, from the metrics the other stages wrote."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..atomic import atomic_path, write_text  # noqa: E402
from ..errors import TangshiError  # noqa: E402
from ..forms import WULV  # noqa: E402
from ..judge.old_style import NEW_SECTIONS, OLD_SECTIONS  # noqa: E402



def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run `dvc repro` so every variant is trained, evaluated and sampled")


def curve(live_dir: Path, metric: str) -> pd.DataFrame:
    return pd.read_csv(live_dir / "plots" / "metrics" / f"{metric}.tsv", sep="\t")


def shared_ppl(scores: dict, key: str) -> float:
    """A perplexity on the shared dictionary: a poet of its own dictionary's folded onto it, anyone else's as is."""
    return scores.get(key.replace("ppl", "folded_ppl"), scores[key])


def variant_table(variants: dict, root: Path = Path(".")) -> pd.DataFrame:
    rows = []
    for name, model in variants.items():
        ev = read_json(root / "metrics" / "eval" / f"{name}.json")
        sm = read_json(root / "metrics" / "samples" / f"{name}.json")
        live = read_json(root / "dvclive" / name / "metrics.json")
        plain, best = (lambda mode: sm["by_mode"][mode]["best_of_1"]), (lambda mode: sm["by_mode"][mode][f"best_of_{sm['best_of']}"])
        rows.append({
            "variant": name, "impl": model["impl"], "layers": model["layers"], "hidden": model["hidden"],
            "dropout": model["dropout"], "corpus": ev["corpus"] + (f" + {model['verse_epochs']} verse" if model.get("verse_epochs") else ""),
            "dictionary": f"{ev.get('dictionary', 'shared')} ({ev.get('vocab_size', '')})",
            "params": ev["parameters"], "epochs": ev["epochs"], "best epoch": ev["best_epoch"],
            "dev PP (all)": shared_ppl(ev, "dev_ppl"), "dev PP (chars)": shared_ppl(ev, "dev_ppl_chars"),
            "large dev PP (all)": shared_ppl(ev, "large_dev_ppl"), "large dev PP (chars)": shared_ppl(ev, "large_dev_ppl_chars"),
            "own-dictionary dev PP (all)": ev["dev_ppl"], "train PP (all)": ev["train_ppl"],
            "form (none)": plain("none")["form_valid"], "meter (form)": plain("form")["meter_valid"],
            "meter (meter)": plain("meter")["meter_valid"], "chosen PP form": plain("form")["chosen_ppl_chars"],
            "chosen PP meter": plain("meter")["chosen_ppl_chars"],
            f"chosen PP meter, best of {sm['best_of']}": best("meter")["chosen_ppl_chars"],
            "distinct-2": sm["distinct_2"], "repeat": sm["repeat_rate"], "copied lines": sm["copied_lines"],
            "tokens/s": live["tokens_per_s"], "train s": live["train_s"],
        })
    return pd.DataFrame(rows)


def form_table(variants: dict, root: Path = Path(".")) -> pd.DataFrame:
    """One row per form a model of several forms writes: dev perplexity on the form's Tang dev split, and its samples."""
    rows = []
    for name in variants:
        ev = read_json(root / "metrics" / "eval" / f"{name}.json")
        sm = read_json(root / "metrics" / "samples" / f"{name}.json")
        for form, scores in ev.get("forms", {}).items():
            by_mode = sm["by_form"][form]["by_mode"]
            best = f"best_of_{sm['best_of']}"
            rows.append({
                "variant": name, "form": form, "dev poems": scores["dev_poems"],
                "dev PP (all)": shared_ppl(scores, "dev_ppl"), "dev PP (chars)": shared_ppl(scores, "dev_ppl_chars"),
                "own-dictionary dev PP (all)": scores["dev_ppl"], "form (none)": by_mode["none"]["best_of_1"]["form_valid"], "meter (meter)": by_mode["meter"]["best_of_1"]["meter_valid"],
                f"meter (meter, best of {sm['best_of']})": by_mode["meter"][best]["meter_valid"],
                f"acrostic meter (best of {sm['best_of']})": by_mode["acrostic"][best]["meter_valid"],
                f"chosen PP meter, best of {sm['best_of']}": by_mode["meter"][best]["chosen_ppl_chars"],
                "distinct-2": sm["by_form"][form]["distinct_2"], "copied lines": sm["by_form"][form]["copied_lines"],
                "copied poems": sm["by_form"][form]["copied_poems"],
                "outside shared dictionary": sm["by_form"][form].get("outside_shared", 0.0),
            })
    return pd.DataFrame(rows)


def to_markdown(df: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"
        return str(v)

    header = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def save_figure(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_curves(variants: dict, root: Path, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=False)
    for i, name in enumerate(variants):
        color = f"C{i}"
        for ax, suffix in zip(axes, ("ppl", "ppl_chars")):
            train, dev = curve(root / "dvclive" / name, f"train/{suffix}"), curve(root / "dvclive" / name, f"dev/{suffix}")
            ax.plot(train["step"], train[suffix], "--", color=color, alpha=0.7)
            ax.plot(dev["step"], dev[suffix], "-", color=color, label=name)
    for ax, what in zip(axes, ("all predicted tokens", "the 40 characters alone")):
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("perplexity (log scale)")
        ax.set_title(f"over {what}")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle("Perplexity per epoch: dev (solid), train (dashed)")
    save_figure(fig, path)


def plot_variants(df: pd.DataFrame, path: Path) -> None:
    panels = [
        ("dev PP (all)", "dev perplexity (all tokens)"), ("dev PP (chars)", "dev perplexity (characters)"),
        ("meter (meter)", "meter pass rate, meter decoding"), ("tokens/s", "training tokens per second"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(16, 3.8))
    for ax, (column, title) in zip(axes, panels):
        ax.bar(df["variant"], df[column], color=[f"C{i}" for i in range(len(df))])
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=30)
        ax.grid(axis="y", alpha=0.3)
    save_figure(fig, path)


def build_report(variants: dict, root: Path = Path(".")) -> str:
    df = variant_table(variants, root)
    forms = form_table(variants, root)
    plot_curves(variants, root, root / "plots" / "perplexity.png")
    plot_variants(df, root / "plots" / "variants.png")
    text = (
        "# tangshi report\n\n"
        "Perplexity is exp(mean NLL): `dev` on the normal dev split, `large dev` on the large one (it holds the "
        "normal one), (all) over every predicted token (48 + `$`), (chars) over the 40 characters alone; `train` on "
        "the Tang split the variant trained on. Pass rates are shares of samples written plainly (best of 1) in "
        "the mode named; `chosen PP` is the perplexity, under the unconstrained model, of the characters the decoder "
        "chose; distinct-2, repeats and copied lines are of the main sample set (best of N). Copies are counted "
        "against all Tang and Song five- and seven-character verse. Every dev perplexity here is on the shared "
        "dictionary (the report's 2,000 characters, 2,004 tokens), so the rows compare: a model of its own dictionary "
        "(the poet's) is scored folded onto it — the probability of a shared token is the sum of the model's "
        "probabilities of every character the shared dictionary writes as that token — and `own-dictionary dev PP` "
        "is its perplexity on its own tokens.\n\n"
        + to_markdown(df) + "\n\n![perplexity](../plots/perplexity.png)\n\n![variants](../plots/variants.png)\n"
    )
    if len(forms):
        text += ("\n## Every form\n\nThe models that write all four forms, on each form's Tang dev split (perplexity "
                 "over every predicted token, the form's token not counted, and over the characters alone) and in "
                 "their samples of that form (the main set is meter, best of N).\n\n" + to_markdown(forms) + "\n")
    text += whole_section(variants, root)
    text += judge_section(variants, root)
    text += told_section(variants, root)
    write_text(root / "metrics" / "report.md", text)
    return text


def whole_section(variants: dict, root: Path = Path(".")) -> str:
    """A poem read as a whole (judge/cohesion.py): each form's real dev poems and floor (metrics/cohesion.json)
    beside every model's meter-mode samples, best of N and best of 1."""
    path = root / "metrics" / "cohesion.json"
    if not path.exists():
        return ""
    refs = read_json(path)["by_form"]
    columns = ("specificity", "repeated", "doubled", "cohesion", "cohesion_above_real_median")
    rows = []
    for form, ref in refs.items():
        rows.append({"form": form, "poems": f"real dev ({ref['poems']})", **{c: ref["real"][c] for c in columns}})
        rows.append({"form": form, "poems": "floor: lines of different dev poems", **{c: ref["floor"][c] for c in columns}})
        for name in variants:
            sm = read_json(root / "metrics" / "samples" / f"{name}.json")
            by_form = sm.get("by_form", {WULV.name: sm})
            if form not in by_form:
                continue
            meter = by_form[form]["by_mode"]["meter"]
            for n in sorted({sm["best_of"], 1}, reverse=True):
                stats = meter[f"best_of_{n}"]
                if "specificity" in stats:
                    rows.append({"form": form, "poems": f"{name}, meter, best of {n}", **{c: stats[c] for c in columns}})
    return ("\n## A poem as a whole\n\nSpecificity is the mean inverse document frequency of a poem's characters over "
            "the poet's training text; repeated, the share of its characters that repeat an earlier one (叠字 apart, "
            "counted as doubled); cohesion, the mean PMI of the content characters (the 300 commonest left out) of "
            "different lines, and the share of poems above the real dev poems' median. The floor sets lines of "
            "different dev poems side by side.\n\n" + to_markdown(pd.DataFrame(rows)) + "\n")


def judge_section(variants: dict, root: Path = Path(".")) -> str:
    """古体 told from 近体 on 唐诗三百首 (metrics/meter.json) and 对仗 graded position by position: real dev 律诗 and
    lines of two different poems (metrics/parallel.json) beside every model's meter 律诗, best of N."""
    meter_path, parallel_path = root / "metrics" / "meter.json", root / "metrics" / "parallel.json"
    text = ""
    old = read_json(meter_path).get("old_style") if meter_path.exists() else None
    if old:
        table = pd.DataFrame([{"section": name, **counts} for name, counts in old["sections"].items()])
        sections = old["sections"]
        kept = sum(sections[s]["古体"] + sections[s]["近体"] for s in OLD_SECTIONS if s in sections)
        called = sum(sections[s]["古体"] for s in NEW_SECTIONS if s in sections)
        text += ("\n## 古体 or 近体\n\nThe checker's verdict on 唐诗三百首's poems of 4 or 8 lines, by section "
                 f"(judge/old_style.py). Of its {old['poems']['old']} 古诗 and 乐府, {kept} ({kept / old['poems']['old']:.1%}) "
                 f"are called 古体 or keep every rule; of its {old['poems']['new']} 律诗 and 绝句, {called} are called 古体 "
                 f"({1 - called / old['poems']['new']:.1%} not).\n\n"
                 + to_markdown(table) + "\n")
    if parallel_path.exists():
        parallel = read_json(parallel_path)
        rows = []
        for form, real in parallel["dev"].items():
            rows.append({"form": form, "couplets": f"real dev middle ({real['poems']} poems)", **real["middle_grades"],
                         "both middle at least 宽对": real["both_middle"]})
            rows.append({"form": form, "couplets": "lines of two different dev poems", **real["random_grades"]})
            for name in variants:
                sm = read_json(root / "metrics" / "samples" / f"{name}.json")
                stats = sm.get("by_form", {WULV.name: sm}).get(form, {}).get("by_mode", {}).get("meter", {}).get(f"best_of_{sm['best_of']}", {})
                if "middle_grades" in stats:
                    rows.append({"form": form, "couplets": f"{name}, meter, best of {sm['best_of']}: middle", **stats["middle_grades"],
                                 "both middle at least 宽对": stats["middle_parallel"]})
        text += ("\n## 对仗, graded position by position\n\nShares of couplets graded 工对 (every position answered), 宽对 "
                 "(all but one) and not parallel (judge/parallel.py).\n\n" + to_markdown(pd.DataFrame(rows).fillna("–")) + "\n")
    return text


def told_section(variants: dict, root: Path = Path(".")) -> str:
    """A poet told titles and poets: dev PP told nothing, the poet, the title, both (and its plan, for a poet told
    one; own dictionary), and the voice and subject study (metrics/told.json)."""
    rows = []
    for name in variants:
        for split, ways in read_json(root / "metrics" / "eval" / f"{name}.json").get("told", {}).items():
            rows.append({"variant": name, "dev split": split, **{f"told {w}": v for w, v in ways.items()},
                         "both vs nothing": ways["both"] / ways["nothing"] - 1})
    if not rows:
        return ""
    text = ("\n## Told a title and a poet\n\nDev perplexity over every predicted token, on the model's own dictionary, "
            "of each dev split's poems told nothing, their poet, their title, both (their own; the poet knows the "
            "poets with enough training poems and reads a title's subject words).\n\n" + to_markdown(pd.DataFrame(rows)) + "\n")
    told = root / "metrics" / "told.json"
    if told.exists():
        study = read_json(told)
        v, s = study["voice"], study["subject"]
        voice = pd.DataFrame([{
            "poet": p, "train poems": v["train_poems"][p], "ceiling recall (real dev)": v["ceiling"]["recall"].get(p),
            "written as the poet": v["written_as"][p], "told no poet, given to": v["told_nobody_given_to"][p],
            "copied lines (own poems)": v["copied_lines_own"][p], "copied lines (all verse)": v["copied_lines_all"][p],
        } for p in v["poets"]])
        text += (f"\n### Voice\n\nAn author classifier of {len(v['poets'])} poets (train split) gives poems written as each "
                 f"poet to that poet: mean {v['mean_written_as']:.3f}, {v['share_of_ceiling']:.0%} of its mean recall on "
                 f"real dev poems ({v['ceiling']['mean_recall']:.3f}); chance {v['chance']:.3f}.\n\n" + to_markdown(voice) + "\n"
                 f"\n### Subject\n\nA poem's true title ranked first among {s['distractors'] + 1} dev titles: real dev poems "
                 f"{s['ceiling']:.3f}; the poet's poems written for {s['titles']} of those titles {s['with_title']:.3f} "
                 f"({s['share_of_ceiling']:.0%} of real), the same titles' poems told no title {s['without_title']:.3f}; "
                 f"chance {s['chance']:.3f}.\n")
        if "with_title_and_plan" in s:  # a poet told a plan: the same titles again, each with a plan from it
            whole = pd.DataFrame([{"form": form, **{f"{way}: {k}": s["as_a_whole"][way][form][k] for way in s["as_a_whole"]
                                                    for k in ("specificity", "cohesion_above_real_median")},
                                   "keywords kept": s["keywords_kept"][form]} for form in s["keywords_kept"]])
            text += (f"\n### Told a plan\n\nThe same titles written again, each told the title and a plan of one keyword a "
                     f"line from it (writing/plan.py): subject {s['with_title_and_plan']:.3f} "
                     f"({s['planned_share_of_ceiling']:.0%} of real). Each way's poems as wholes, per form, and the share "
                     "of planned lines that hold their keyword:\n\n" + to_markdown(whole) + "\n")
    return text
