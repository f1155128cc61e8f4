"""The sample stage's work: write each mode's poems for every start character, judge them, format them."""

from .decode import MODES, Constraints, Request, Written, write_poems
from .meter import Judgement, ToneLexicon, judge
from .quality import set_metrics
from .vocab import Vocab


def mark(written: Written, judgement: Judgement) -> str:
    failed = judgement.failed()
    verdict = "✓ 格律" if not failed else "✗ " + " ".join(failed)
    extra = f"  [{written.pattern} · {written.rhyme_group}]" if written.pattern else ""
    return f"{written.tokens}  {verdict}{extra}"


def sample_all(poet, vocab: Vocab, lexicon: ToneLexicon, training: list[str], cfg: dict, seed: int) -> tuple[str, dict]:
    """Poems in every mode (and acrostics), as text for samples/V.txt and metrics for metrics/samples/V.json."""
    constraints = Constraints(vocab, lexicon)
    sample_kw = {k: cfg[k] for k in ("temperature", "top_k", "top_p")}
    sets: dict[str, list[Request]] = {
        mode: [Request(start=c) for c in cfg["starts"] for _ in range(cfg["per_start"])] for mode in MODES
    }
    sets["acrostic"] = [Request(acrostic=cfg["acrostic"]) for _ in range(cfg["per_start"])]
    main = cfg["constrain"]
    order = [main] + [m for m in sets if m != main]
    sections, by_mode = [], {}
    for index, name in enumerate(order):
        mode = "meter" if name == "acrostic" else name
        written = write_poems(poet, vocab, sets[name], mode, constraints, seed=seed + index, **sample_kw)
        judgements = [judge(w.poem, lexicon, vocab) for w in written]
        by_mode[name] = set_metrics(
            judgements, training, sum(w.chosen_nll for w in written), sum(w.chosen for w in written)
        )
        title = f"## {name}" + (" (meter constraints)" if name == "acrostic" else "")
        stats = by_mode[name]
        summary = (
            f"form {stats['form_valid']:.2f} · rhyme {stats['rhyme_valid']:.2f} · tone {stats['tone_valid']:.2f} · "
            f"meter {stats['meter_valid']:.2f} · copied lines {stats['copied_lines']:.2f}"
        )
        sections.append("\n".join([title, summary, ""] + [mark(w, j) for w, j in zip(written, judgements)]))
    metrics = {"constrain": main, **by_mode[main], "by_mode": by_mode}
    return "\n\n".join(sections) + "\n", metrics
