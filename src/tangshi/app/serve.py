"""`tangshi serve`: a poem-writing page and its JSON API over the pipeline's trained models.

Models are found under models/<variant>/ and loaded once at start (weights
only); the server never takes a file path or loads anything from a request.
Work is bounded: at most MAX_POEMS poems a request, each the best of at most
MAX_BEST_OF candidates, written in one batch; request bodies capped at
MAX_BODY bytes.
"""

import json
import threading
from importlib import resources
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, HTTPException, Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from ..data.corpus import form_problem, poem_lines, to_simplified
from ..data.vocab import Vocab
from ..errors import TangshiError
from ..forms import FORMS, WULV, Form, get_form
from ..judge.cohesion import WordStats, load_references, read_whole
from ..judge.meter import ToneLexicon, judge
from ..judge.old_style import style_notes, style_of
from ..judge.parallel import ParallelModel, load_if_built
from ..models.checkpoint import load_poet
from ..writing.decode import MAX_GUIDANCE, Constraints, Request
from ..writing.plan import Planner, load_planner, plan_for, read_keywords
from ..writing.rerank import write_best
from ..data.pasted import read_pasted
from .defaults import BEST_OF, DECODING, GUIDANCE, MAX_BEST_OF, PLAN, default_model_name

MAX_POEMS = 16  # poems a request: at most MAX_POEMS × MAX_BEST_OF = 512 candidates written in one batch
MAX_BODY = 4096
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}


class WriteIn(BaseModel):
    model: str | None = Field(default=None, max_length=40)  # None: the page's default (app/defaults.py)
    start: str | None = Field(default=None, max_length=8)
    acrostic: str | None = Field(default=None, max_length=16)
    first_line: str | None = Field(default=None, max_length=16)
    title: str | None = Field(default=None, max_length=40)  # a title or a few keywords: what the poem is about
    poet: str | None = Field(default=None, max_length=20)  # whose voice (GET /api/poets lists them)
    keywords: list[str] | None = Field(default=None, max_length=8)  # the plan: one a line, "-" or "" for a line planned
    plan: bool = PLAN  # plan the lines the keywords leave (a poet told plans; writing/plan.py)
    form: Literal["五绝", "七绝", "五律", "七律"] = "五律"  # the names in forms.FORMS
    constrain: Literal["none", "form", "meter"] = "meter"
    temperature: float = Field(default=DECODING["temperature"], gt=0, le=3)
    n: int = Field(default=4, ge=1, le=MAX_POEMS)
    best_of: int = Field(default=BEST_OF, ge=1, le=MAX_BEST_OF)
    seed: int = Field(default=0, ge=0, le=2**31)
    guidance: float = Field(default=GUIDANCE, ge=0, le=MAX_GUIDANCE)  # how hard a poem leans on its title and poet (decode.py)
    # against the bland and the repeated (decode.py, rerank.py); the defaults are the pipeline's chosen decoding
    repeat_penalty: float = Field(default=DECODING["repeat_penalty"], ge=0, le=20)
    discount: float = Field(default=DECODING["discount"], ge=0, le=2)
    slor: float = Field(default=DECODING["slor"], ge=0, le=2)
    cohesion: float = Field(default=DECODING["cohesion"], ge=0, le=10)


class CheckIn(BaseModel):
    poem: str = Field(min_length=1, max_length=400)


def describe(poem: str, lexicon: ToneLexicon, vocab: Vocab | None = None, form: Form | None = None,
             parallel: ParallelModel | None = None, stats: WordStats | None = None, references: dict | None = None) -> dict:
    """A judged poem as the page shows it: its form, lines of characters with tones, rhyme groups, rules, for a
    律诗 the 对仗 of each couplet (where the parallel stage has run), and the poem read as a whole beside real
    poems of its form (where the cohesion stage has). The form is the one asked for, or the one whose shape the
    poem has."""
    j = judge(poem, lexicon, vocab, form=form)
    problem = form_problem(j.poem, form)
    if problem:
        return {"poem": j.poem, "well_formed": False, "rules": j.passed, "lines": [], "meter_valid": False,
                "message": f"not {'a ' + form.name if form else 'regulated verse'}: {problem}"}
    style = style_of(j, lexicon)  # 近体, 近体 with faults, or 古体 (whose rhyme alone is checked)
    groups = style.rhyme_groups()
    rhyme_group = style.rhyme if style.old else j.rhyme_group
    lines = []
    for i, (line, tones, notes) in enumerate(zip(poem_lines(j.poem), j.tones, style_notes(j, style))):
        rhymes = i % 2 == 1 or (i == 0 and (style.ze or tones[-1] != "仄") and rhyme_group in groups.get(line[-1], ()))
        lines.append({
            "chars": [{"char": c, "tone": {"平": "ping", "仄": "ze"}.get(t, "either")} for c, t in zip(line, tones)],
            "punct": "，" if i % 2 == 0 else "。",
            "rhyme": rhymes,
            # the poem's shared group when the character has it, else every 平 group it belongs to
            "groups": ([rhyme_group] if rhyme_group in groups.get(line[-1], ()) else sorted(groups.get(line[-1], ())))
            if rhymes else [],
            "notes": notes,  # the accepted variant it is, the line it rescues, the rules it breaks
        })
    return {"poem": j.poem, "well_formed": True, "form": j.form.name, "shape": j.form.shape, "lines": lines,
            "rules": j.passed, "pattern": j.pattern,
            "rhyme_group": rhyme_group, "meter_valid": j.meter_valid,
            "style": {"kind": style.kind, "reason": style.reason, "ze": style.ze},
            "couplets": parallel.couplets(j.poem) if parallel is not None and j.form.lines == 8 else [],
            "whole": read_whole(j.poem, stats, (references or {}).get(j.form.name)) if stats is not None else None}


def find_models(models_dir: Path, vocab_path: str | Path, device: str) -> tuple[dict, dict]:
    """Every trained variant under models_dir, loaded (each with its dictionary); and why the others could not be."""
    loaded, missing = {}, {}
    for folder in sorted(p for p in models_dir.glob("*") if p.is_dir()):
        try:
            poet, config = load_poet(folder, vocab_path, device)
            loaded[folder.name] = (poet, config)
        except TangshiError as err:
            missing[folder.name] = str(err)
    return loaded, missing


def create_app(models_dir="models", vocab_path="data/vocab.json", tones_path="data/meter/tones.json",
               metrics_dir="metrics/eval", device: str = "auto", parallel_path="data/parallel/pairs.npz",
               stats_path="data/cohesion/stats.npz", references_path="metrics/cohesion.json",
               keywords_path="data/keywords/keywords.json", planner_path="data/keywords/planner.npz") -> FastAPI:
    lexicon = ToneLexicon.load(tones_path)
    planner: Planner | None = None  # plans for a poet told them, where the keywords stage has run
    if Path(keywords_path).exists() and Path(planner_path).exists():
        planner = load_planner(keywords_path, planner_path)
    parallel = load_if_built(parallel_path)
    # the word statistics: the decoding terms that need them, and each poem's figures as a whole (where built)
    stats = WordStats.load(stats_path) if Path(stats_path).exists() else None
    references = load_references(references_path) if stats is not None and Path(references_path).exists() else {}
    models, problems = find_models(Path(models_dir), vocab_path, device)
    # the decoder's masks, once for each dictionary the models read through
    constraints = {p.vocab.digest(): Constraints(p.vocab, lexicon) for p, _ in models.values()}
    lock = threading.Lock()  # one batch at a time on the model's device
    app = FastAPI(title="tangshi", docs_url=None, redoc_url=None)

    @app.exception_handler(RequestValidationError)
    async def readable_422(request: HttpRequest, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        field = ".".join(str(x) for x in first["loc"] if x != "body") or "request"
        return JSONResponse({"detail": f"{field}: {first['msg']}"}, status_code=422)

    @app.middleware("http")
    async def cap_body(request: HttpRequest, call_next):
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return JSONResponse({"detail": f"request body over {MAX_BODY} bytes"}, status_code=413)
        return await call_next(request)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return resources.files("tangshi").joinpath("app/web/index.html").read_text(encoding="utf-8")

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, "no such file")
        body = resources.files("tangshi").joinpath(f"app/web/{name}").read_text(encoding="utf-8")
        return Response(body, media_type=STATIC[name])

    @app.get("/api/models")
    def list_models() -> dict:
        out = []
        for name, (_, config) in models.items():
            metrics = Path(metrics_dir) / f"{name}.json"
            scores = json.loads(metrics.read_text()) if metrics.exists() else {}
            # on the shared dictionary, so the models compare (a poet of its own dictionary: folded onto it)
            dev_ppl = scores.get("dev_folded_ppl", scores.get("dev_ppl", config.get("best_dev_ppl")))
            out.append({"name": name, "impl": config["impl"], "layers": config["layers"], "hidden": config["hidden"],
                        "dev_ppl": dev_ppl, "forms": config.get("forms", [WULV.name])})
        default = default_model_name(models)
        hint = None if models else "no trained model found: run `dvc repro train@poet` (or `make repro`) first"
        return {"models": out, "default": default, "best_of": BEST_OF, "guidance": GUIDANCE, "max_guidance": MAX_GUIDANCE,
                "plan": PLAN, "planner": planner is not None,
                "problems": problems, "hint": hint,
                "forms": [{"name": f.name, "lines": f.lines, "chars": f.chars} for f in FORMS]}

    @app.get("/api/poets")
    def list_poets(model: str | None = None) -> dict:
        """The poets a model knows (for the page's searchable picker), most poems first, and its title words."""
        name = model or default_model_name(models)
        table = getattr(models[name][0], "conditions", None) if name in models else None
        if table is None:
            return {"model": name, "poets": [], "title_words": [], "plans": False}
        return {"model": name, "poets": [{"name": p, "poems": n} for p, n in zip(table.poets, table.poems)],
                "title_words": table.words, "plans": bool(table.keyword_slots) and planner is not None}

    @app.post("/api/write")
    def write(body: WriteIn) -> dict:
        name = body.model or default_model_name(models)
        if name not in models:
            raise HTTPException(404, f"model {name!r} is not trained here: run `dvc repro train@{name or 'poet'}`")
        given = {k: to_simplified(v.strip()) if v and v.strip() else None
                 for k, v in (("start", body.start), ("acrostic", body.acrostic), ("first_line", body.first_line),
                              ("title", body.title), ("poet", body.poet))}
        poet, _ = models[name]
        form = get_form(body.form)
        keywords = read_keywords([to_simplified(k.strip()) or "-" for k in body.keywords] if body.keywords else None)
        if keywords is not None and not any(keywords):
            keywords = None
        planned = getattr(poet, "conditions", None) is not None and poet.conditions.keyword_slots and (body.plan or keywords)
        try:  # write_poems refuses a form the model does not write, and a bad request, with a TangshiError
            requests = [Request(**given, keywords=keywords) for _ in range(body.n)]
            requests[0].check(poet.vocab, form)  # a bad request is refused as it is, before any planning
            if planned:
                if planner is None:
                    raise TangshiError("no keyword planner here: run `dvc repro keywords`")
                for i, r in enumerate(requests):  # each poem its own plan, the same for its best-of-N drafts
                    r.keywords = plan_for(planner, r, form.lines, body.seed * 100_003 + i)
            with lock:
                terms = {"repeat_penalty": body.repeat_penalty, "discount": body.discount, "slor": body.slor,
                         "cohesion": body.cohesion}
                if stats is None:  # without word statistics only the repeat penalty can apply
                    terms.update(discount=0.0, slor=0.0, cohesion=0.0)
                written = write_best(poet, poet.vocab, requests, body.best_of, mode=body.constrain,
                                     constraints=constraints[poet.vocab.digest()],
                                     temperature=body.temperature, top_p=DECODING["top_p"], seed=body.seed, form=form,
                                     parallel=parallel, guidance=body.guidance, stats=stats, **terms)
        except TangshiError as err:
            raise HTTPException(400, str(err))
        return {"poems": [{"tokens": w.tokens, "plan": r.keywords,
                           **describe(w.poem, lexicon, poet.vocab, form, parallel, stats, references)}
                          for r, w in zip(requests, written)]}

    @app.post("/api/check")
    def check(body: CheckIn) -> dict:
        poem = read_pasted(body.poem)  # as people print poems: ？！； and line breaks, a 《title》, notes
        if not poem:
            raise HTTPException(400, "the box is empty: paste a poem of 4 or 8 lines of 5 or 7 characters")
        return describe(poem, lexicon, parallel=parallel, stats=stats, references=references)

    return app


def serve(host: str, port: int, **kwargs) -> None:
    import uvicorn

    uvicorn.run(create_app(**kwargs), host=host, port=port, log_level="info")
