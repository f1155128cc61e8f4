"""The sample stage's work: write each mode's poems for every start character, plain and best-of-N, judge and
format them."""

from .decode import MODES, Constraints, Request, Written
from .meter import Judgement, ToneLexicon, judge
from .quality import Reference, set_metrics
from .rerank import write_best
from .vocab import Vocab


def mark(written: Written, judgement: Judgement) -> str:
    failed = judgement.failed()
    verdict = "✓ 格律" if not failed else "✗ " + " ".join(failed)
    extra = f"  [{written.pattern} · {written.rhyme_group}]" if written.pattern else ""
    return f"{written.tokens}  {verdict}{extra}"


def sample_all(poet, vocab: Vocab, lexicon: ToneLexicon, reference: list[str], cfg: dict, seed: int) -> tuple[str, dict]:
    """Poems in every mode (and acrostics), each set written plainly (best of 1) and best of cfg["best_of"],
    as text for samples/V.txt and metrics for metrics/samples/V.json; copying is counted against `reference`."""
    constraints = Constraints(vocab, lexicon)
    reference = Reference.of(reference)
    sample_kw = {k: cfg[k] for k in ("temperature", "top_k", "top_p")}
    sets: dict[str, list[Request]] = {
        mode: [Request(start=c) for c in cfg["starts"] for _ in range(cfg["per_start"])] for mode in MODES
    }
    sets["acrostic"] = [Request(acrostic=cfg["acrostic"]) for _ in range(cfg["per_start"])]
    main, best_of = cfg["constrain"], cfg["best_of"]
    order = [main] + [m for m in sets if m != main]
    sections, by_mode = [], {}
    for index, name in enumerate(order):
        mode = "meter" if name == "acrostic" else name
        by_mode[name] = {}
        for n in sorted({best_of, 1}, reverse=True):  # the published set first
            written = write_best(poet, vocab, sets[name], n, mode=mode, constraints=constraints, seed=seed + index, **sample_kw)
            judgements = [judge(w.poem, lexicon, vocab) for w in written]
            stats = by_mode[name][f"best_of_{n}"] = set_metrics(
                judgements, reference, sum(w.chosen_nll for w in written), sum(w.chosen for w in written)
            )
            title = f"## {name}" + (" (meter constraints)" if name == "acrostic" else "") + f" · best of {n}"
            summary = (
                f"form {stats['form_valid']:.2f} · rhyme {stats['rhyme_valid']:.2f} · tone {stats['tone_valid']:.2f} · "
                f"meter {stats['meter_valid']:.2f} · chosen PP {stats['chosen_ppl_chars']:.1f} · "
                f"distinct-2 {stats['distinct_2']:.2f} · copied lines {stats['copied_lines']:.3f}"
            )
            sections.append("\n".join([title, summary, ""] + [mark(w, j) for w, j in zip(written, judgements)]))
    metrics = {"constrain": main, "best_of": best_of, **by_mode[main][f"best_of_{best_of}"], "by_mode": by_mode}
    return "\n\n".join(sections) + "\n", metrics
