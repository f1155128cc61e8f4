"""The `tangshi` command: write, check and score poems outside DVC.

    tangshi write --start 月 -n 4                 # the poet, a 五律, meter constraints, best of 4
    tangshi write --form 七绝 --acrostic 春江花月
    tangshi write --model models/double --acrostic 春江花月夜思故乡
    tangshi write --form 七律 --first-line 风急天高猿啸哀
    tangshi write --title 秋夜寄友 --poet 韦应物 --form 五绝
    tangshi write --form 五绝 --keywords 春山 夜雨 孤舟 故人   # a keyword a line: the plan (- leaves a line to the planner)
    tangshi poets                                  # the poets the poet knows, with their poem counts
    tangshi check "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"
    tangshi score poems.txt --model models/double
"""

import argparse
import sys

import numpy as np

from ..data.corpus import detect_form, form_problem, poem_lines, to_simplified
from ..errors import TangshiError, run_main
from ..forms import FORMS, NAMES, WULV, get_form, with_start
from ..judge.meter import VERDICTS, ToneLexicon, judge
from ..judge.cohesion import explain, read_whole
from ..judge.old_style import style_notes, style_of
from ..judge.parallel import load_if_built
from ..data.pasted import read_pasted
from .defaults import BEST_OF, DECODING, GUIDANCE, MAX_BEST_OF, PATHS, PLAN, PREFERRED, check_best_of, default_model

CHECK_CODES = (f"exit status: 0 the poem keeps every rule, 1 it breaks a rule, 2 it is none of the four forms ({NAMES}: "
               "4 or 8 lines of 5 or 7 characters), 3 it is 古体 (rhymes on 仄, changes rhyme, or has at most half its "
               "lines 律句), not bound by the rules of 近体")


def show_judgement(poem: str, lexicon: ToneLexicon, vocab=None, verdict: str = "standard", form=None, parallel=None) -> str:
    j = judge(poem, lexicon, vocab, verdict, form=form)
    problem = form_problem(j.poem, form)
    if problem:
        return f"{poem}\n  ✗ not {'a ' + form.name if form else 'regulated verse'}: {problem}"
    style = style_of(j, lexicon)
    out = [f"  read as {j.form.name} ({j.form.shape})" + (" — 古体" if style.old else "")]
    groups = style.rhyme_groups()
    for i, (line, tones, notes) in enumerate(zip(poem_lines(j.poem), j.tones, style_notes(j, style))):
        punct = "，" if i % 2 == 0 else "。"
        marks = " ".join(f"{c}{'平' if t == '平' else '仄' if t == '仄' else '?'}" for c, t in zip(line, tones))
        end = sorted(groups.get(line[-1], ())) if i % 2 == 1 or i == 0 else []
        out.append(f"  {line}{punct}  {marks}" + (f"   韵: {' / '.join(end) or '(not a 平 rhyme)'}" if end or i % 2 else ""))
        out.extend(f"      {note}" for note in notes)
    if style.old:  # the rules of 近体 do not bind it: say what it is, and how it rhymes
        out.append(f"  {style.reason}; not bound by the rules of 近体 (粘对, line types), so they are not listed")
    else:
        rules = "  ".join(f"{'✓' if ok else '✗'}{rule}" for rule, ok in j.passed.items())
        out.append(f"  {rules}")
        out.append(f"  pattern: {j.pattern or 'none of the four'} · rhyme group: {j.rhyme_group or 'none shared'} · "
                   f"{'passes every rule of ' + j.form.name if j.meter_valid else 'breaks ' + ', '.join(j.failed())} ({verdict} rules)")
    if j.form.lines == 8:  # a 律诗: 对仗 of each couplet, a note beside the rules
        out.append(show_couplets(j.poem, parallel))
    out.append("  (? = either tone: 多音字 or not in the lexicon)")
    return "\n".join(out)


def show_couplets(poem: str, parallel) -> str:
    if parallel is None:
        return "  对仗 not judged: no 对仗 model (run `dvc repro parallel`, or give --parallel)"
    couplets = parallel.couplets(poem)
    marks = " · ".join(f"{c['lines'][0]}–{c['lines'][1]} {c['grade']}"
                       + (f" (position {'、'.join(map(str, c['unanswered']))} unanswered)" if c["unanswered"] and c["parallel"] else "")
                       for c in couplets)
    middle = sum(c["parallel"] for c in couplets[1:3])
    return (f"  对仗 (a note, not a rule; position by position): {marks} — "
            f"{('both', 'one of the', 'neither of the')[2 - middle]} middle couplets at least 宽对")


def cmd_write(args) -> None:
    from tqdm import tqdm

    from ..models.checkpoint import load_poet
    from ..writing.decode import Constraints, Request, check_sampling, check_writes, told
    from ..writing.plan import plan_for, read_keywords
    from ..writing.rerank import batch_sizes, write_best

    sizes = list(batch_sizes(args.n, check_best_of(args.best_of)))  # refuses n < 1 and a bad best-of before anything loads
    form = get_form(args.form)
    check_sampling(args.temperature, args.guidance)
    lexicon = ToneLexicon.load(args.tones)
    parallel = load_if_built(args.parallel)
    stats, references = load_word_stats(args.cohesion_path, args.references)
    decoding, notes = decoding_terms(args, stats)
    poet, _ = load_poet(args.model or default_model(), args.vocab, args.device)
    vocab = poet.vocab  # the shared dictionary or the poet's own
    check_writes(poet, form)
    constraints = Constraints(vocab, lexicon)
    given = [to_simplified(x) if x else x for x in (args.start, args.acrostic, args.first_line, args.title, args.poet)]
    keywords = read_keywords([to_simplified(k) for k in args.keywords] if args.keywords else None)
    Request(*given, keywords=keywords).check(vocab, form)  # a bad start, acrostic, first line or keyword fails here
    told(poet, vocab, [Request(*given, keywords=keywords)])  # and an unknown poet, an unreadable title, an unplanned poet
    planner, plan_notes = load_planner_for(args, poet, keywords)
    if planner is not None:  # an unknown keyword is refused, naming the closest ones
        plan_for(planner, Request(*given, keywords=keywords), form.lines, args.seed)
    for note in notes + plan_notes:  # only once the request is known to be good, so that a refusal stays one line
        print(note, file=sys.stderr)
    done = 0
    with tqdm(total=args.n, unit="poem", file=sys.stderr, disable=len(sizes) == 1) as bar:
        for number, size in enumerate(sizes):  # batches of bounded size, printed as each is done
            requests = [Request(*given, keywords=keywords) for _ in range(size)]
            if planner is not None:  # each poem its own plan, the same for its best-of-N drafts
                for i, r in enumerate(requests):
                    r.keywords = plan_for(planner, r, form.lines, args.seed * 100_003 + done + i)
            written = write_best(
                poet, vocab, requests, args.best_of, mode=args.constrain,
                constraints=constraints, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, parallel=parallel,
                seed=args.seed + number, form=form, guidance=args.guidance, stats=stats, **decoding,
            )
            done += size
            text = "".join((f"plan: {' '.join(r.keywords)}\n" if r.keywords else "")
                           + f"{w.tokens}\n{show_judgement(w.poem, lexicon, vocab, form=form, parallel=parallel)}\n"
                           + (f"  {explain(read_whole(w.poem, stats, references.get(form.name)), form.name)}\n" if args.explain else "")
                           + "\n" for r, w in zip(requests, written))
            bar.clear()
            sys.stdout.write(text)
            sys.stdout.flush()
            bar.update(size)


def load_planner_for(args, poet, keywords) -> tuple:
    """The planner for a poet told plans, with notes to print: None when --no-plan is given, when the model is
    told no plans, or (with a note; refused when keywords were given) where the keywords stage has not run."""
    from pathlib import Path

    from ..writing.plan import load_planner

    conditions = getattr(poet, "conditions", None)
    if conditions is None or not conditions.keyword_slots or not (args.plan or keywords):
        return None, []
    missing = [p for p in (args.keyword_dictionary, args.planner) if not Path(p).exists()]
    if missing:
        if keywords:
            raise TangshiError(f"--keywords needs the keyword dictionary and planner ({missing[0]} is missing): "
                               "run `dvc repro keywords`")
        return None, [f"note: no keyword planner at {missing[0]} (run `dvc repro keywords`): writing without a plan"]
    return load_planner(args.keyword_dictionary, args.planner), []


def load_word_stats(path: str, references_path: str):
    """The word statistics and each form's real references, or (None, {}) where the cohesion stage has not run."""
    from pathlib import Path

    from ..judge.cohesion import WordStats, load_references

    if not Path(path).exists():
        return None, {}
    return WordStats.load(path), load_references(references_path) if Path(references_path).exists() else {}


def decoding_terms(args, stats) -> tuple[dict, list[str]]:
    """The terms against blandness: as given, else DECODING's; without word statistics those that need them are
    refused when asked for and left off, with a note to print, when defaulted."""
    terms = {k: getattr(args, k) for k in ("repeat_penalty", "discount", "slor", "cohesion")}
    notes = []
    if args.explain and stats is None:
        raise TangshiError(f"--explain needs the word statistics ({args.cohesion_path}): run `dvc repro cohesion`")
    for key, value in terms.items():
        if value is not None and value < 0:
            raise TangshiError(f"--{key.replace('_', '-')} takes 0 (off) or more, not {value}")
        if key != "repeat_penalty" and stats is None:
            if value:
                raise TangshiError(f"--{key.replace('_', '-')} needs the word statistics ({args.cohesion_path}): run `dvc repro cohesion`")
            if DECODING[key] and value is None:
                notes.append(f"note: no word statistics at {args.cohesion_path} (run `dvc repro cohesion`): writing without --{key}")
            terms[key] = 0.0
        elif value is None:
            terms[key] = DECODING[key]
    return terms, notes


def cmd_poets(args) -> None:
    from ..models.checkpoint import load_poet

    poet, _ = load_poet(args.model or default_model(), args.vocab, args.device)
    table = getattr(poet, "conditions", None)
    if table is None:
        raise TangshiError(f"{args.model or default_model()} was trained without poets: use the poet (models/poet)")
    shown = [(p, n) for p, n in zip(table.poets, table.poems) if not args.search or args.search in p]
    for name, poems in shown:
        print(f"{poems:6d}  {name}")
    print(f"{len(shown)} of {len(table.poets)} poets (each with at least {min(table.poems, default=0)} poems in the "
          f"poet's training text); it reads titles through {len(table.words)} title words, e.g. {' '.join(table.words[:20])}")


def cmd_check(args) -> None:
    poem = read_pasted(args.poem)  # ？！； and line breaks, a 《title》, notes in brackets, traditional script
    problem = form_problem(poem)
    if problem:
        print(f"error: not regulated verse: {problem}", file=sys.stderr)
        sys.exit(2)
    lexicon = ToneLexicon.load(args.tones)
    print(show_judgement(poem, lexicon, verdict=args.verdict, parallel=load_if_built(args.parallel)))
    j = judge(poem, lexicon, verdict=args.verdict)
    stats, references = load_word_stats(args.cohesion_path, args.references)
    if stats is not None:  # the poem read as a whole, where the cohesion stage has run
        print(f"  {explain(read_whole(j.poem, stats, references.get(j.form.name)), j.form.name)}")
    sys.exit({"近体": 0, "近体 with faults": 1, "古体": 3}[style_of(j, lexicon).kind])


def cmd_score(args) -> None:
    from ..data.vocab import encode_all
    from ..models.checkpoint import load_poet
    from ..models.poet import all_token_nll
    from ..training.perplexity import pooled_perplexities
    from ..writing.decode import check_writes

    try:
        lines = open(args.file, encoding="utf-8").read().splitlines()
    except OSError as err:
        raise TangshiError(f"cannot read {args.file} ({err.strerror}): give a text file with one poem per line")
    poems = []
    for number, line in enumerate(lines, 1):
        poem = to_simplified("".join(line.split()).lstrip("*").rstrip("$"))
        if not poem:
            continue
        problem = form_problem(poem)
        if problem:
            raise TangshiError(f"{args.file} line {number} is not regulated verse ({problem}): fix or remove it")
        poems.append(poem)
    if not poems:
        raise TangshiError(f"{args.file} holds no poems: give one poem per line")
    poet, _ = load_poet(args.model or default_model(), args.vocab, args.device)
    vocab = poet.vocab
    by_form = {f: [p for p in poems if detect_form(p) == f] for f in FORMS}
    sets, scores = [], {}
    for form, group in by_form.items():
        if group:
            check_writes(poet, form)
            ids = with_start(encode_all(vocab, group), poet.start_id(form))
            nll = all_token_nll(poet, ids)
            sets.append((ids, nll))
            scores.update({poem: float(np.exp(row.mean())) for poem, row in zip(group, nll)})
    ppl, ppl_chars = pooled_perplexities([n for _, n in sets], [i for i, _ in sets], vocab)
    for poem in poems:
        print(f"{scores[poem]:8.1f}  {poem}")
    print(f"{len(poems)} poems: perplexity {ppl:.1f} over all predicted tokens, {ppl_chars:.1f} over the characters")


def cmd_serve(args) -> None:
    from .serve import serve

    serve(args.host, args.port, models_dir=args.models, vocab_path=args.vocab, tones_path=args.tones,
          parallel_path=args.parallel, device=args.device, stats_path=args.cohesion_path, references_path=args.references,
          keywords_path=args.keyword_dictionary, planner_path=args.planner)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tangshi", description=f"Write, check and score regulated verse ({NAMES}) with tangshi's LSTM poets.")
    sub = p.add_subparsers(dest="command", required=True)

    w = sub.add_parser("write", help="write poems with a trained model",
                       epilog="examples: tangshi write --start 月 -n 4; tangshi write --form 七绝 --acrostic 春江花月; "
                       "tangshi write --acrostic 春江花月夜思故乡 --model models/single. "
                       "Large -n is written in batches, printed as each is done, with a progress bar on stderr.")
    given = w.add_mutually_exclusive_group()
    given.add_argument("--start", help="the first character")
    given.add_argument("--acrostic", help="one character at the head of each line (藏头诗): 4 for a 绝句, 8 for a 律诗")
    given.add_argument("--first-line", help="a first line to continue: 5 characters for 五言, 7 for 七言")
    w.add_argument("--title", help="what the poem is about: a title or a few keywords (秋夜寄友, 秋 月 思乡); the poet only")
    w.add_argument("--poet", help="whose voice to write in (韦应物, 杜甫 …; `tangshi poets` lists them); the poet only")
    w.add_argument("--keywords", nargs="+", metavar="KEYWORD",
                   help="the plan: a keyword for each line in order (春山 夜雨 孤舟 故人), one or two characters of the "
                   "keyword dictionary; - leaves a line to the planner, and lines past the last given are planned too "
                   "(the poet only)")
    w.add_argument("--no-plan", dest="plan", action="store_false", default=PLAN,
                   help="write without a plan (by default the poet plans a keyword a line from the title, the keywords "
                   "and the start it is given, and prints the plan above the poem)")
    w.add_argument("--form", default=WULV.name, help=f"{NAMES} (or {', '.join(f.key for f in FORMS)}); default %(default)s. "
                   "The report's five variants write 五律 alone; the poet writes all four")
    w.add_argument("--model", help=f"a trained model folder (default: the first of {', '.join(PREFERRED)} under models/)")
    w.add_argument("-n", type=int, default=4, help="how many poems, at least 1 (default %(default)s)")
    w.add_argument("--best-of", type=int, default=BEST_OF,
                   help=f"write this many candidates per poem, 1 to {MAX_BEST_OF}, and keep the most natural (default %(default)s; 1: plain sampling)")
    w.add_argument("--constrain", default="meter", choices=("none", "form", "meter"), help="default %(default)s")
    w.add_argument("--temperature", type=float, default=DECODING["temperature"], help="default %(default)s")
    w.add_argument("--top-k", type=int, default=0)
    w.add_argument("--guidance", type=float, default=GUIDANCE,
                   help="with --title or --poet: how hard to lean on them, 0 (plain) to 10 (classifier-free guidance; "
                   "default %(default)s)")
    w.add_argument("--top-p", type=float, default=DECODING["top_p"], help="default %(default)s")
    w.add_argument("--repeat-penalty", type=float, help=f"nats off a character the poem already wrote, 叠字 and a couplet's "
                   f"echo exempt (default {DECODING['repeat_penalty']})")
    w.add_argument("--discount", type=float, help="sample from log p − γ·log p_unigram: how far to lean from the commonest "
                   f"characters (default {DECODING['discount']})")
    w.add_argument("--slor", type=float, help=f"best of N: weight of the unigram term in the ranking (1: SLOR; default {DECODING['slor']})")
    w.add_argument("--cohesion", type=float, help="best of N: nats per unit of how well the lines' images belong together "
                   f"(default {DECODING['cohesion']})")
    w.add_argument("--explain", action="store_true",
                   help="after each poem, its specificity, repeated characters and cohesion beside real poems of its form")
    w.add_argument("--seed", type=int, default=0)
    w.set_defaults(func=cmd_write)

    o = sub.add_parser("poets", help="the poets the poet knows (for write --poet), with their poem counts",
                       epilog="example: tangshi poets --search 杜")
    o.add_argument("--search", help="only names containing this")
    o.add_argument("--model", help=f"default: the first of {', '.join(PREFERRED)} under models/")
    o.set_defaults(func=cmd_poets)

    c = sub.add_parser("check", help=f"judge a poem by the rules of its form ({NAMES}, recognised by its shape)",
                       epilog='example: tangshi check "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"; '
                       + CHECK_CODES)
    c.add_argument("poem", help="the poem, with ，and 。 (traditional script is converted)")
    c.add_argument("--verdict", default="standard", choices=VERDICTS,
                   help="standard: 粘对 by the second character, accepted 拗 variants; strict: neither (default %(default)s)")
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("score", help="perplexity of poems under a model", epilog="example: tangshi score poems.txt --model models/single")
    s.add_argument("file", help="a text file, one poem per line")
    s.add_argument("--model", help=f"default: the first of {', '.join(PREFERRED)} under models/")
    s.set_defaults(func=cmd_score)

    v = sub.add_parser("serve", help="serve the poem-writing page and its JSON API",
                       epilog="example: tangshi serve  (then open http://127.0.0.1:8000)")
    v.add_argument("--host", default="127.0.0.1", help="default %(default)s; 0.0.0.0 exposes the page to your network")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--models", default=PATHS["models"], help="folder of trained variants (default %(default)s)")
    v.set_defaults(func=cmd_serve)

    for sp in (w, v):
        sp.add_argument("--keyword-dictionary", default=PATHS["keywords"], help="from the keywords stage (default %(default)s)")
        sp.add_argument("--planner", default=PATHS["planner"], help="from the keywords stage (default %(default)s)")

    for sp in (w, c, v):
        sp.add_argument("--word-stats", dest="cohesion_path", default=PATHS["cohesion"],
                        help="word statistics from the cohesion stage (default %(default)s)")
        sp.add_argument("--references", default=PATHS["references"],
                        help="real poems' figures from the cohesion stage (default %(default)s)")

    for sp in (w, o, c, s, v):
        sp.add_argument("--tones", default=PATHS["tones"], help="tone lexicon from the meter stage (default %(default)s)")
        sp.add_argument("--parallel", default=PATHS["parallel"], help="对仗 model from the parallel stage (default %(default)s)")
        sp.add_argument("--vocab", default=PATHS["vocab"],
                        help="the shared dictionary; the poet's own lies beside it (default %(default)s)")
        sp.add_argument("--device", default="auto", help="auto, cpu or cuda")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    run_main(lambda: args.func(args))


if __name__ == "__main__":
    main(sys.argv[1:])
