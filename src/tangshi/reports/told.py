"""The voice and subject study of a poet told titles and poets (issue 21): do its poems sound like the poet they
were written as, and are they about the title they were written for?

Both judges learn from the four Tang forms' train splits alone and are scored
first on real dev poems (their ceilings):

- voice (judge/voice.py): an author classifier of the study's poets. The poet
  writes `per_poet` poems of each form as each of them, and as many told no
  poet; reported, per poet, the share the classifier gives to the poet asked
  for, their mean against the ceiling's mean recall, and for the poems told no
  poet the share given to each (what chance looks like for this poet).
- subject (judge/subject.py): the true title ranked among distractor titles
  of other dev poems. The poet writes a poem for each of `titles` dev titles
  (each with a keyword of the measure and a title word of the poet's, in its
  own poem's form) told the title, and again told nothing; the share ranked
  first, against real dev poems'. A poet told a plan writes them a third
  time, told the title and a plan from it (writing/plan.py); each way's poems
  are also measured as wholes (judge/cohesion.py), per form.

Each set also reports the perplexity of what was written under the poet told
the request, unguided (chosen_ppl): what guidance costs in naturalness.

Poems are written as the sample stage writes its main sets (its constraint,
temperature and top-p, best of 1), with its prompts' guidance. Copied lines of
the poems written as each poet are counted against that poet's own poems (the
verse and the Tang sets) and against all verse: a voice is not a quotation.
"""

import numpy as np

from ..data.titles import Meta
from ..forms import FORMS
from ..judge.cohesion import measures
from ..judge.quality import Reference, copy_rates
from ..judge.subject import DISTRACTORS, TitleScorer
from ..judge.voice import VoiceClassifier
from ..writing.decode import Request, Written, write_poems
from ..writing.plan import keywords_kept


def study(poet, constraints, train: dict[str, list[tuple[Meta, str]]], dev: dict[str, list[tuple[Meta, str]]],
          verse: list[tuple[Meta, str]], cfg: dict, sample: dict, seed: int, unigram=None, planner=None,
          word_stats=None, medians: dict[str, float] | None = None) -> dict:
    """`train`/`dev`: each form's (title and author, poem) pairs; `verse`: the verse corpus's; `cfg`: params told;
    `sample`: params sample (how to write: its sampling terms against blandness too, with `unigram`, the
    dictionary's unigram log-probabilities); `planner`: plans from titles, for a poet told a plan; `word_stats` and
    `medians` (each form's real dev median cohesion): the poems as wholes."""
    vocab = poet.vocab
    write_kw = {"mode": sample["constrain"], "temperature": sample["temperature"], "top_p": sample["top_p"],
                "guidance": sample["guidance"], "constraints": constraints,
                "repeat_penalty": sample.get("repeat_penalty", 0.0), "discount": sample.get("discount", 0.0),
                "unigram": unigram}
    all_train = [(m, p) for pairs in train.values() for m, p in pairs]
    all_dev = [(m, p) for pairs in dev.values() for m, p in pairs]

    voice = VoiceClassifier(cfg["poets"], [(m.author, p) for m, p in all_train])
    ceiling = voice.ceiling([(m.author, p) for m, p in all_dev])
    as_poet: dict[str, list[str]] = {p: [] for p in voice.poets}
    told_some, told_none = [], []  # what was written as a poet, and told nobody
    for number, form in enumerate(FORMS):
        requests = [Request(poet=p) for p in voice.poets for _ in range(cfg["per_poet"])]
        requests += [Request() for _ in range(cfg["per_poet"] * len(voice.poets))]
        written = write_poems(poet, vocab, requests, seed=seed + number, form=form, **write_kw)
        cut = len(voice.poets) * cfg["per_poet"]
        told_some += written[:cut]
        told_none += written[cut:]
        for i, p in enumerate(voice.poets):
            as_poet[p] += [w.poem for w in written[i * cfg["per_poet"] : (i + 1) * cfg["per_poet"]]]
    given_nobody = voice.attribute([w.poem for w in told_none])
    real_poems = verse + all_train + all_dev
    everything = Reference.of(p for _, p in real_poems)
    own_poems: dict[str, list[str]] = {p: [] for p in voice.poets}
    for m, q in real_poems:  # one pass, not one a poet
        if m.author in own_poems:
            own_poems[m.author].append(q)
    voice_out = {
        "poets": voice.poets, "train_poems": dict(voice.train_poems), "ceiling": ceiling,
        "chance": 1 / len(voice.poets), "written_per_poet": len(as_poet[voice.poets[0]]),
        "written_as": {p: voice.recall(as_poet[p], p) for p in voice.poets},
        "told_nobody_given_to": {p: float(np.mean([g == p for g in given_nobody])) for p in voice.poets},
        "copied_lines_own": {p: copy_rates(as_poet[p], Reference.of(own_poems[p]))["copied_lines"] for p in voice.poets},
        "copied_lines_all": {p: copy_rates(as_poet[p], everything)["copied_lines"] for p in voice.poets},
        "first_poem": {p: as_poet[p][0] for p in voice.poets},
        "chosen_ppl": {"written_as": chosen_ppl(told_some), "told_nobody": chosen_ppl(told_none)},
    }
    voice_out["mean_written_as"] = float(np.mean(list(voice_out["written_as"].values())))
    voice_out["share_of_ceiling"] = voice_out["mean_written_as"] / ceiling["mean_recall"]

    scorer = TitleScorer([(m.title, p) for m, p in all_train])
    real = [(m.title, p, form) for form, pairs in dev.items() for m, p in pairs if scorer.has_keyword(m.title)]
    pool = [t for t, _, _ in real]
    real_first = scorer.first_share(pool, [p for _, p, _ in real], pool, seed)
    readable = [r for r in real if poet.conditions.title_words(r[0])]  # a title the poet reads a word of
    picks = [readable[i] for i in np.random.default_rng(seed).permutation(len(readable))[: cfg["titles"]]]
    subject_out = {"keywords": len(scorer.keywords), "distractors": DISTRACTORS, "chance": 1 / (DISTRACTORS + 1),
                   "real_dev_poems": len(real), "ceiling": real_first, "titles": len(picks)}
    subject_out["chosen_ppl"], subject_out["as_a_whole"] = {}, {}
    ways = [("with_title", True, False), ("without_title", False, False)]
    if planner is not None and poet.conditions.keyword_slots:
        ways.append(("with_title_and_plan", True, True))
    for label, use, planned in ways:
        poems, written = [""] * len(picks), []
        subject_out["as_a_whole"][label] = {}
        for number, form in enumerate(FORMS):  # each title in its own dev poem's form
            at = [i for i, (_, _, f) in enumerate(picks) if f == form.name]
            if not at:
                continue
            requests = [Request(title=picks[i][0] if use else None,
                                keywords=planner.plan(form.lines, title=picks[i][0], seed=seed + i) if planned else None)
                        for i in at]
            for i, w in zip(at, write_poems(poet, vocab, requests, seed=seed + 10 + number, form=form, **write_kw)):
                poems[i] = w.poem
                written.append(w)
            if word_stats is not None:
                subject_out["as_a_whole"][label][form.name] = measures([poems[i] for i in at], word_stats,
                                                                       (medians or {}).get(form.name))
            if planned:
                subject_out.setdefault("keywords_kept", {})[form.name] = keywords_kept([r.keywords for r in requests],
                                                                                      [poems[i] for i in at])
        subject_out[label] = scorer.first_share([t for t, _, _ in picks], poems, pool, seed)
        subject_out["chosen_ppl"][label] = chosen_ppl(written)
        if use and not planned:
            subject_out["first_poems"] = [{"title": t, "form": f, "poem": p} for (t, _, f), p in zip(picks[:3], poems[:3])]
    subject_out["share_of_ceiling"] = subject_out["with_title"] / real_first
    if "with_title_and_plan" in subject_out:
        subject_out["planned_share_of_ceiling"] = subject_out["with_title_and_plan"] / real_first
    return {"voice": voice_out, "subject": subject_out}


def chosen_ppl(written: list[Written]) -> float:
    """The perplexity, per character it chose, of what the poet wrote, under itself told the request and unguided:
    what leaning on a title and a poet costs in naturalness."""
    return round(float(np.exp(sum(w.chosen_nll for w in written) / max(sum(w.chosen for w in written), 1))), 3)


def summary(result: dict) -> str:
    v, s = result["voice"], result["subject"]
    return (f"voice: written as the poet {v['mean_written_as']:.3f} (ceiling {v['ceiling']['mean_recall']:.3f}, "
            f"{v['share_of_ceiling']:.0%} of it; chance {v['chance']:.3f}); subject: with the title "
            f"{s['with_title']:.3f}, without {s['without_title']:.3f} (ceiling {s['ceiling']:.3f}, "
            f"{s['share_of_ceiling']:.0%} of it; chance {s['chance']:.3f})"
            + (f"; with the title and a plan {s['with_title_and_plan']:.3f} ({s['planned_share_of_ceiling']:.0%})"
               if "with_title_and_plan" in s else ""))

