"""The sample stage's work: for each form the model writes, each mode's poems for every start character, plain
and best-of-N, judged and formatted."""

from ..data.vocab import Vocab
from ..forms import WULV, Form
from ..judge.cohesion import WordStats, measures
from ..judge.meter import Judgement, ToneLexicon, judge
from ..judge.parallel import ParallelModel, both_middle_parallel, middle_grades
from ..judge.quality import Reference, character_use, set_metrics
from .decode import MODES, Constraints, Request, Written
from .plan import Planner, keywords_kept
from .rerank import write_best

METERED = ("acrostic", "prompted", "planned")  # sets written with meter constraints whatever the main mode


def mark(written: Written, judgement: Judgement) -> str:
    failed = judgement.failed()
    verdict = "✓ 格律" if not failed else "✗ " + " ".join(failed)
    extra = f"  [{written.pattern} · {written.rhyme_group}]" if written.pattern else ""
    return f"{written.tokens}  {verdict}{extra}"


def sample_all(poet, vocab: Vocab, lexicon: ToneLexicon, reference: list[str], cfg: dict, seed: int,
               parallel: ParallelModel | None = None, shared: Vocab | None = None, word_stats: WordStats | None = None,
               medians: dict[str, float] | None = None, planner: Planner | None = None) -> tuple[str, dict]:
    """Poems of every form the poet writes (五律 alone for the report's variants) in every mode (and
    acrostics), each set written plainly (best of 1) and best of cfg["best_of"], as text for samples/V.txt and
    metrics for metrics/samples/V.json; copying is counted against `reference`. The top-level metrics are the
    五律's; a poet of several forms adds each form's under by_form. With the 对仗 model, best-of-N ranks 律诗 by
    it too, and each 律诗 set reports the share whose two middle couplets are parallel. Given the shared
    dictionary, each set and `all_samples` (every poem written) report the share of characters outside it. Given
    the word statistics, each set also reports specificity, repetition and cohesion (judge/cohesion.py; the share
    above `medians`, each form's real dev median) and best-of-N ranks by cfg's slor and cohesion weights. Given the
    planner, a poet told a plan also writes the prompts `planned`: each told a plan from its title, and each set
    reports the share of lines that hold their keyword."""
    constraints = Constraints(vocab, lexicon)
    reference = Reference.of(reference)
    forms = getattr(poet, "forms", (WULV,))
    parts, by_form, every = [], {}, []
    for number, form in enumerate(forms):
        text, by_form[form.name] = sample_form(poet, vocab, lexicon, constraints, reference, cfg, seed + 1000 * number, form,
                                               parallel, shared, every, word_stats, (medians or {}).get(form.name), planner)
        parts.append(text if len(forms) == 1 else f"# {form.name} ({form.shape})\n\n{text}")
    metrics = dict(by_form.get(WULV.name) or next(iter(by_form.values())))
    if len(forms) > 1:
        metrics["by_form"] = by_form
    metrics["all_samples"] = {"poems": len(every), **character_use(every, shared)}
    return "\n\n".join(parts) + "\n", metrics


def sample_form(poet, vocab: Vocab, lexicon: ToneLexicon, constraints: Constraints, reference: Reference, cfg: dict,
                seed: int, form: Form, parallel: ParallelModel | None = None, shared: Vocab | None = None,
                every: list[str] | None = None, word_stats: WordStats | None = None,
                median: float | None = None, planner: Planner | None = None) -> tuple[str, dict]:
    """One form's sets: every mode for every start character, and acrostics of the first form.lines characters
    of cfg["acrostic"]; each poem written is also appended to `every`."""
    sample_kw = {k: cfg[k] for k in ("temperature", "top_k", "top_p", "guidance")}  # guidance: the prompted set
    sample_kw.update(decoding_kw(cfg))
    sets: dict[str, list[Request]] = {
        mode: [Request(start=c) for c in cfg["starts"] for _ in range(cfg["per_start"])] for mode in MODES
    }
    sets["acrostic"] = [Request(acrostic=cfg["acrostic"][: form.lines]) for _ in range(cfg["per_start"])]
    prompts = prompt_requests(poet, cfg)
    if prompts:  # a poet told titles and poets: the prompts' poems, written with meter constraints
        sets["prompted"] = prompts
        if planner is not None and poet.conditions.keyword_slots:  # and again, each to a plan from its title
            sets["planned"] = [Request(title=r.title, poet=r.poet, keywords=planner.plan(form.lines, title=r.title, seed=seed + i))
                               for i, r in enumerate(prompts)]
    main, best_of = cfg["constrain"], cfg["best_of"]
    order = [main] + [m for m in sets if m != main]
    sections, by_mode = [], {}
    for index, name in enumerate(order):
        mode = "meter" if name in METERED else name
        by_mode[name] = {}
        for n in sorted({best_of, 1}, reverse=True):  # the published set first
            written = write_best(poet, vocab, sets[name], n, mode=mode, constraints=constraints, seed=seed + index,
                                 form=form, parallel=parallel, stats=word_stats, **sample_kw)
            judgements = [judge(w.poem, lexicon, vocab, form=form) for w in written]
            stats = by_mode[name][f"best_of_{n}"] = set_metrics(
                judgements, reference, sum(w.chosen_nll for w in written), sum(w.chosen for w in written), shared
            )
            if every is not None:
                every.extend(w.poem for w in written)
            if parallel is not None and form.lines == 8:  # 对仗: both middle couplets at least 宽对, and the grades
                stats["middle_parallel"] = round(sum(both_middle_parallel(parallel, w.poem) for w in written) / len(written), 5)
                stats["middle_grades"] = middle_grades(parallel, [w.poem for w in written])
            if word_stats is not None:  # the poem as a whole
                stats.update(measures([w.poem for w in written], word_stats, median))
            if name == "planned":
                stats["keywords_kept"] = keywords_kept([r.keywords for r in sets[name]], [w.poem for w in written])
            title = f"## {name}" + (" (meter constraints)" if name in METERED else "") + f" · best of {n}"
            summary = (
                f"form {stats['form_valid']:.2f} · rhyme {stats['rhyme_valid']:.2f} · tone {stats['tone_valid']:.2f} · "
                f"meter {stats['meter_valid']:.2f} · chosen PP {stats['chosen_ppl_chars']:.1f} · "
                f"distinct-2 {stats['distinct_2']:.2f} · copied lines {stats['copied_lines']:.3f}"
                + (f" · 对仗 {stats['middle_parallel']:.2f}" if "middle_parallel" in stats else "")
                + (f" · keywords kept {stats['keywords_kept']:.2f}" if "keywords_kept" in stats else "")
                + (f" · specificity {stats['specificity']:.2f} · repeated {stats['repeated']:.3f}"
                   + (f" · cohesion above real median {stats['cohesion_above_real_median']:.2f}" if median is not None else "")
                   if "specificity" in stats else "")
            )
            marks = [mark(w, j) for w, j in zip(written, judgements)]
            if name in ("prompted", "planned"):
                marks = [f"{prompt_label(r)}  {m}" for r, m in zip(sets[name], marks)]
            sections.append("\n".join([title, summary, ""] + marks))
    metrics = {"constrain": main, "best_of": best_of, **by_mode[main][f"best_of_{best_of}"], "by_mode": by_mode}
    return "\n\n".join(sections), metrics


def decoding_kw(cfg: dict) -> dict:
    """The decoding against blandness that params.yaml's sample section chose (all off where it has none): the
    sampling terms of decode.write_poems and the ranking weights of rerank.write_best."""
    return {k: cfg.get(k, 0.0) for k in ("repeat_penalty", "discount", "slor", "cohesion")}


def prompt_requests(poet, cfg: dict) -> list[Request]:
    """cfg["prompts"] (a title and a poet each), per_prompt poems each, for a poet told titles and poets; none
    for another model."""
    if getattr(poet, "conditions", None) is None:
        return []
    return [Request(title=p.get("title"), poet=p.get("poet")) for p in cfg.get("prompts") or []
            for _ in range(cfg.get("per_prompt", 1))]


def prompt_label(request: Request) -> str:
    plan = f" [{' '.join(w or '—' for w in request.keywords)}]" if request.keywords else ""
    return f"《{request.title or '—'}》 {request.poet or 'any poet'}{plan}:"
