"""What `tangshi write`, `score` and the page use unless told: where the pipeline's outputs are, which model,
how many candidates. Below both the command line and the server, and light: importing it loads no torch."""

from pathlib import Path

from ..errors import TangshiError

PATHS = {"models": "models", "vocab": "data/vocab.json", "tones": "data/meter/tones.json", "parallel": "data/parallel/pairs.npz",
         "cohesion": "data/cohesion/stats.npz", "references": "metrics/cohesion.json",
         "keywords": "data/keywords/keywords.json", "planner": "data/keywords/planner.npz"}
PREFERRED = ("poet", "double", "single")  # the model write, score and the page use unless told: the first one trained
BEST_OF = 4  # candidates per poem by default (README, "How many candidates": the most that keeps distinct-2 ≥ 0.90)
MAX_BEST_OF = 32  # candidates per poem at most, on the command line and the page alike
GUIDANCE = 1.0  # classifier-free guidance of a poem told a title or a poet (writing/decode.py; params sample.guidance)
# Sampling and ranking against the bland and the repeated: params.yaml's sample section, which the study chose
# (docs/decoding.md, "Decoding against blandness"); tests/test_cohesion.py holds the two equal.
PLAN = True  # a poet told plans writes each poem to one (writing/plan.py), planned where the user gives no keywords
DECODING = {"temperature": 0.8, "top_p": 0.95, "repeat_penalty": 2.0, "discount": 0.075, "slor": 2.0, "cohesion": 5.0}


def default_model_name(names) -> str | None:
    """The first of PREFERRED among `names`, else the first name (None when there is none)."""
    names = list(names)
    return next((name for name in PREFERRED if name in names), next(iter(names), None))


def check_best_of(best_of: int) -> int:
    if not 1 <= best_of <= MAX_BEST_OF:
        raise TangshiError(f"best-of must be 1 to {MAX_BEST_OF} candidates a poem, not {best_of}: give --best-of 1 for plain sampling")
    return best_of


def default_model(models_dir: str | Path = PATHS["models"]) -> str:
    for name in PREFERRED:
        if (Path(models_dir) / name / "config.json").exists():
            return str(Path(models_dir) / name)
    raise TangshiError(f"no trained model in {models_dir}/: run `make repro` (or `dvc repro train@poet`), or give --model")
