"""The README's lead poems: the first poems a pipeline run wrote, unedited, with the judge's verdict and 对仗 (under a second).

    python scripts/first_poems.py            # from the repo root, after `dvc repro`
    python scripts/first_poems.py --brief    # the README's: the first prompt's first 五律, planned and not, and the first poem of each form

From samples/poet.txt: first, set "prompted · best of 4", the first 五律
written for each prompt (a title and a poet, sample.prompts), and in --brief the first of set "planned · best of 4"
(the same prompt, written to a plan from its title, the plan shown); then set "meter ·
best of 4" (sample.best_of): the first 五律 written for each start character of
params.yaml, then the first poem of each other form. Each poem is followed by the judge's verdict and pattern, and for a
律诗 each couplet's 对仗 grade (工对, 宽对, or – where it is not parallel), as README.md shows them.
Nothing is chosen: the first poem of each batch is printed, whatever it is.
"""

import sys

sys.path.insert(0, "src")
from tangshi.app.defaults import PATHS  # noqa: E402
from tangshi.forms import BY_NAME, FORMS  # noqa: E402
from tangshi.judge.meter import ToneLexicon, judge  # noqa: E402
from tangshi.judge.parallel import ParallelModel  # noqa: E402
from tangshi.params import load_params  # noqa: E402


def sets(path: str) -> dict[tuple[str, str], list[str]]:
    """(form name, set heading) -> the poems of that set, in the order they were written (a prompted poem with its
    prompt's label before a tab)."""
    out, form, heading = {}, None, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("# ") and "(" in line:
            form = line[2:].split(" ")[0]
        elif line.startswith("## "):
            heading = line[3:].strip()
            out[form, heading] = []
        elif heading and (line.startswith("*") or line.startswith("《")):  # a prompted poem follows its prompt
            label, rest = line.split("*", 1)
            out[form, heading].append((label.strip().rstrip(":") + "\t" if label.strip() else "") + rest.split("$")[0])
    return out


def show(poem: str, lexicon: ToneLexicon, parallel: ParallelModel) -> str:
    poem = poem.split("\t")[-1]  # without its prompt's label
    j = judge(poem, lexicon, form=BY_NAME[FORM_OF[len(poem)]])
    half = len(poem) // 2 if len(poem) > 40 else len(poem)
    text = poem[:half] + ("\n" + poem[half:] if half < len(poem) else "")
    verdict = "✓ 格律" if j.meter_valid else "✗ " + ", ".join(j.failed())
    out = f"{text}   {verdict}  [{j.pattern or '—'} · {j.rhyme_group or '—'}]"
    if len(poem) > 40:
        marks = " · ".join(f"{c['lines'][0]}–{c['lines'][1]} {c['grade'] if c['parallel'] else '–'}" for c in parallel.couplets(poem))
        out += f"\n    对仗 {marks}"
    return out


FORM_OF = {f.lines * (f.chars + 1): f.name for f in FORMS}


def main(brief: bool = False) -> None:
    params = load_params()
    best_of = params["sample"]["best_of"]
    starts, per_start = params["sample"]["starts"], params["sample"]["per_start"]
    lexicon = ToneLexicon.load(PATHS["tones"])
    parallel = ParallelModel.load(PATHS["parallel"])
    written = sets("samples/poet.txt")
    prompted = written.get(("五律", f"prompted (meter constraints) · best of {best_of}"))
    heading = f"meter · best of {best_of}"
    if brief:
        if prompted:
            prompt = params["sample"]["prompts"][0]
            print(f"《{prompt['title']}》 as {prompt['poet']}\n{show(prompted[0], lexicon, parallel)}\n")
        planned = written.get(("五律", f"planned (meter constraints) · best of {best_of}"))
        if planned:  # the same prompt, written to a plan from its title: the plan is in its label, [in brackets]
            plan = planned[0].split("\t")[0].split("[")[1].split("]")[0]
            print(f"《{prompt['title']}》 as {prompt['poet']}, planned: {plan}\n{show(planned[0], lexicon, parallel)}\n")
        print("\n\n".join(f"{form.name}\n{show(written[form.name, heading][0], lexicon, parallel)}" for form in FORMS))
        return
    if prompted:
        per_prompt = params["sample"]["per_prompt"]
        for i, prompt in enumerate(params["sample"]["prompts"]):
            print(f"《{prompt['title']}》 as {prompt['poet']}\n{show(prompted[i * per_prompt], lexicon, parallel)}\n")
        print("----\n")
    wulv = written["五律", heading]
    print("\n\n".join(show(wulv[i * per_start], lexicon, parallel) for i in range(len(starts))))
    for form in FORMS:
        if form.name != "五律":
            print(f"\n{form.name}\n{show(written[form.name, heading][0], lexicon, parallel)}")


if __name__ == "__main__":
    main(brief="--brief" in sys.argv[1:])
