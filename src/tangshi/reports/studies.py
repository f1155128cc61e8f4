"""The report's six studies as DVC experiments: queue the sweep, then summarise it into a plot and a table.

    python -m tangshi.reports.studies run optimizers        # dvc exp run --queue … for each run, then dvc queue start
    python -m tangshi.reports.studies report                # plots/studies/<study>.png and docs/studies.md

A study's runs are named experiments (`dvc exp run --queue -n NAME -S …`)
whose targets are one variant's evaluate and sample stages, so only that
variant trains. `main` stands for the committed pipeline run itself. Where a
conclusion rests on a few perplexity points, a run is repeated with other
training seeds (`-S train.seed=N`, experiment NAME-sN) and the table shows
the mean and the spread. Final metrics come from `dvc exp show --json`;
per-epoch curves from each experiment's commit (DVCLive logs are in git).
Each study's section of docs/studies.md sits between markers, so a report
rewrites only the studies it is asked for.
"""

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..atomic import write_text  # noqa: E402
from ..errors import TangshiError, run_main  # noqa: E402
from ..params import choose  # noqa: E402
from .report import save_figure  # noqa: E402


DEFAULT_SEED = 42  # train.seed of params.yaml: the pipeline run's own


@dataclass
class Run:
    name: str  # experiment name, or "main" for the committed pipeline run
    label: str
    params: dict = field(default_factory=dict)
    variant: str | None = None  # defaults to the study's
    seeds: tuple[int, ...] = (DEFAULT_SEED,)  # more than one: repeated with these training seeds

    def experiment(self, seed: int, variant: str) -> str:
        """The experiment name of this run with one training seed."""
        if seed == DEFAULT_SEED:
            return self.name
        return f"{self.name if self.name != 'main' else 'main-' + variant}-s{seed}"


@dataclass
class Study:
    title: str
    variant: str
    runs: list[Run]
    note: str  # how it was shrunk, if it was
    stages: tuple[str, ...] = ("evaluate", "sample")

    def targets(self, run: Run) -> list[str]:
        return [f"{stage}@{run.variant or self.variant}" for stage in self.stages]


FIXED_BUDGET = {"train.epochs": 15, "train.patience": 0}
# the sweep's starting point, one verse epoch and 6 Tang epochs (the pipeline's poet is where the sweep led); it ran
# before the poet had a dictionary of its own, so it pins the shared dictionary, the tied full softmax and a random
# embedding, as the poet then had
POET_BASE = {"models.poet.dropout": 0.3, "models.poet.schedule": "cosine", "models.poet.tang_decay": 1, "models.poet.verse_epochs": 1,
             "models.poet.dictionary": "shared", "models.poet.output": "full", "models.poet.tie": True,
             "models.poet.embedding": "none", "models.poet.patience": None, "models.poet.epochs": None,
             "train.epochs": 6, "train.patience": 0}
SEEDS = (DEFAULT_SEED, 7, 2026)
STUDIES = {
    "optimizers": Study(
        "Optimizers (double LSTM, 15 epochs, no early stopping)", "double",
        [Run("opt-sgd", "SGD lr 0.002", {"train.optimizer": "sgd", **FIXED_BUDGET}),
         Run("opt-momentum", "momentum lr 0.002", {"train.optimizer": "momentum", **FIXED_BUDGET}),
         Run("opt-adagrad", "AdaGrad lr 0.002", {"train.optimizer": "adagrad", **FIXED_BUDGET}),
         Run("opt-rmsprop", "RMSprop lr 0.002", {"train.optimizer": "rmsprop", **FIXED_BUDGET}, seeds=SEEDS),
         Run("opt-adam-0.001", "Adam lr 0.001", {"train.optimizer": "adam", "train.lr": 0.001, **FIXED_BUDGET}, seeds=SEEDS),
         Run("opt-adam-0.01", "Adam lr 0.01", {"train.optimizer": "adam", "train.lr": 0.01, **FIXED_BUDGET}, seeds=SEEDS)],
        "shrunk from 40 to 15 epochs to fit 2 CPU cores (about 2.5 min a run); the three close runs with 3 training seeds",
    ),
    "embeddings": Study(
        "Embeddings (single LSTM, early stopping)", "single",
        [Run("main", "fine-tuned (pipeline run)"),
         Run("emb-frozen", "frozen", {"train.embedding": "frozen"}),
         Run("emb-none", "none (random init)", {"train.embedding": "none"})],
        "one seed",
    ),
    "forget_bias": Study(
        "Forget-gate bias (single LSTM, early stopping)", "single",
        [Run("fb-0", "bias 0", {"train.forget_bias": 0}, seeds=SEEDS),
         Run("main", "bias 1 (pipeline run)", seeds=SEEDS),
         Run("fb-2", "bias 2", {"train.forget_bias": 2}, seeds=SEEDS)],
        "3 training seeds each",
    ),
    "depth": Study(
        "Depth and implementation (the pipeline run)", "single",
        [Run("main", v, variant=v, seeds=SEEDS) for v in ("numpy", "autograd", "single", "double", "triple")],
        "the five variants of the committed pipeline run, and each again with 2 more training seeds",
    ),
    "early_stopping": Study(
        "Early stopping: poems from the weights of epoch k (single LSTM)", "single",
        [Run(f"es-{k}", f"epoch {k}", {"train.epochs": k, "train.patience": 0, "sample.weights": "last"})
         for k in (3, 6, 10, 14, 20)],
        "one seed; dev perplexity at epoch k read from each run's curve",
        stages=("sample",),
    ),
    "large": Study(
        "Large corpus (single LSTM)", "single",
        [Run("main", "normal (1,732 train poems)"),
         Run("large-single", "large (10,197 train poems), at most 12 epochs", {"models.single.corpus": "large", "train.epochs": 12})],
        "the large run capped at 12 epochs (about 1 min each on 2 CPU cores); one seed",
    ),
    "poet": Study(
        "The poet's size and regularisation", "poet",
        [Run("main", "final: dropout 0.1, constant lr, 2.3 verse epochs, early stopping (pipeline run)"),
         Run("poet-base", "base: 1×512, tied, dropout 0.3, cosine lr, 1 verse epoch", POET_BASE),
         Run("poet-untied", "base, untied output layer", {**POET_BASE, "models.poet.tie": False}),
         Run("poet-constant", "base, constant lr", {**POET_BASE, "models.poet.schedule": "constant"}),
         Run("poet-dropout-0.1", "base, dropout 0.1", {**POET_BASE, "models.poet.dropout": 0.1}),
         Run("poet-2x512", "base, 2×512 for 0.6 verse epochs (the same time)",
             {**POET_BASE, "models.poet.layers": 2, "models.poet.verse_epochs": 0.6})],
        "every run but main reads the verse once (or as long) and then stops after 6 Tang epochs, about 15 minutes "
        "each on 2 CPU cores; one seed",
    ),
}
MARK = "<!-- study:{} -->"
END = "<!-- /study -->"


def queue_commands(study: Study) -> list[list[str]]:
    commands = []
    for run in study.runs:
        variant = run.variant or study.variant
        for seed in run.seeds:
            if run.name == "main" and seed == DEFAULT_SEED:
                continue
            params = {**run.params, **({"train.seed": seed} if seed != DEFAULT_SEED else {})}
            sets = [arg for key, value in params.items() for arg in ("-S", f"{key}={yaml_value(value)}")]
            commands.append(["dvc", "exp", "run", "--queue", "-n", run.experiment(seed, variant), *sets, *study.targets(run)])
    return commands


def yaml_value(value) -> str:
    """A value as `-S` parses it: YAML, where booleans are lower-case."""
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def check_git_identity(root: Path = Path(".")) -> None:
    """DVC experiments are git commits: say so before the first one fails."""
    for key in ("user.name", "user.email"):
        done = subprocess.run(["git", "config", key], cwd=root, capture_output=True, text=True)
        if done.returncode != 0 or not done.stdout.strip():
            raise TangshiError(
                f"git has no {key}, and DVC experiments commit: set one first, e.g. "
                "`git config user.name \"Your Name\"` and `git config user.email you@example.com`"
            )


def experiments(exp_show: list[dict]) -> dict[str, dict]:
    """Name -> {rev, params, metrics} for the newest commit ("main") and every named experiment.

    `exp_show` is `dvc exp show -A --json`: experiments queued on older commits count too; the newest
    finished run of a name wins (one still queued, running or failed has no results to show).
    """
    found = {}
    for baseline in reversed(exp_show):  # oldest commit first, so newer experiments overwrite
        if baseline["rev"] == "workspace":
            continue
        found["main"] = flatten(baseline)
        for exp in reversed(baseline.get("experiments") or []):
            if (exp.get("executor") or {}).get("state", "success") != "success":
                continue
            for rev in exp.get("revs") or []:
                if rev.get("name") and rev.get("data"):
                    found[rev["name"]] = flatten(rev)
    return found


def flatten(entry: dict) -> dict:
    data = entry["data"]
    metrics = {path: m.get("data", {}) for path, m in (data.get("metrics") or {}).items()}
    params = (data.get("params") or {}).get("params.yaml", {}).get("data", {})
    return {"rev": data["rev"], "params": params, "metrics": metrics}


def curve(root: Path, rev: str, variant: str, metric: str) -> tuple[list[int], list[float]]:
    shown = subprocess.run(
        ["git", "show", f"{rev}:dvclive/{variant}/plots/metrics/{metric}.tsv"], cwd=root, capture_output=True, text=True
    )
    if shown.returncode != 0:
        return [], []
    rows = [line.split("\t") for line in shown.stdout.splitlines()[1:] if line]
    return [int(r[0]) for r in rows], [float(r[-1]) for r in rows]


def summarise(study: Study, found: dict[str, dict], root: Path) -> list[dict]:
    rows = []
    for run in study.runs:
        variant = run.variant or study.variant
        names = [run.experiment(seed, variant) for seed in run.seeds]
        missing = [n for n in names if n not in found]
        if missing:
            raise TangshiError(f"experiment {missing[0]} is missing: run `python -m tangshi.reports.studies run` for this study first")
        exp = found[names[0]]
        m = exp["metrics"]
        samples = m.get(f"metrics/samples/{variant}.json", {})
        form = samples.get("by_mode", {}).get("form", {}).get("best_of_1", {})
        steps, dev = curve(root, exp["rev"], variant, "dev/ppl")
        _, train = curve(root, exp["rev"], variant, "train/ppl")
        _, loss = curve(root, exp["rev"], variant, "train/loss")
        live = m.get(f"dvclive/{variant}/metrics.json", {})
        row = {
            "run": run.label, "name": run.name, "variant": variant, "steps": steps, "dev": dev, "train": train, "loss": loss,
            "epochs": len(steps), "best_epoch": live.get("best_epoch"),
            "best_dev_ppl": [found[n]["metrics"].get(f"dvclive/{variant}/metrics.json", {}).get("best_dev_ppl") for n in names],
            "normal_dev_ppl": m.get(f"metrics/eval/{variant}.json", {}).get("dev_ppl"),
            "last_dev_ppl": dev[-1] if dev else None, "last_train_ppl": train[-1] if train else None,
            "tone_valid": form.get("tone_valid"), "repeat_rate": form.get("repeat_rate"), "distinct_2": form.get("distinct_2"),
            "copied_lines": form.get("copied_lines"), "chosen_ppl": form.get("chosen_ppl_chars"),
            "tokens_per_s": live.get("tokens_per_s"), "train_s": live.get("train_s"),
        }
        rows.append(row)
    return rows


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):  # one value per training seed
        values = [v for v in value if v is not None]
        if len(values) < 2:
            return fmt(values[0] if values else None, digits)
        mean = sum(values) / len(values)
        return f"{mean:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f}, {len(values)} seeds)"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown(name: str, study: Study, rows: list[dict], date: str, machine: str) -> str:
    header = ("| run | params (`-S`) | epochs | best epoch | best dev PP | normal dev PP | dev PP at last epoch | "
              "train PP at last epoch | tone rules kept (form) | repeated chars | distinct-2 | copied lines | chosen PP |")
    lines = [
        f"### {study.title}", "",
        f"`make study-{name}` ({study.note}); run {date} on {machine}. Perplexity over all predicted tokens on the "
        "dev split the variant stops early on (best dev PP: the mean and range over training seeds where there are "
        "several; epochs and curves are the first seed's), and on the normal dev split (`normal dev PP`, from "
        "metrics/eval); sample measures are of the 70 form-constrained poems written plainly (temperature 0.8).", "",
        header, "|" + "---|" * 13,
    ]
    overrides = {run.name: run.params for run in study.runs}
    for r in rows:
        params = " ".join(f"{k}={v}" for k, v in overrides.get(r["name"], {}).items()) if r["name"] != "main" else "defaults"
        lines.append(
            f"| {r['run']} | {params} | {r['epochs']} | {fmt(r['best_epoch'])} | {fmt(r['best_dev_ppl'])} | "
            f"{fmt(r['normal_dev_ppl'])} | {fmt(r['last_dev_ppl'])} | {fmt(r['last_train_ppl'])} | {fmt(r['tone_valid'], 3)} | "
            f"{fmt(r['repeat_rate'], 3)} | {fmt(r['distinct_2'], 3)} | {fmt(r['copied_lines'], 3)} | {fmt(r['chosen_ppl'])} |"
        )
    return "\n".join(lines)


def plot(name: str, study: Study, rows: list[dict], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, r in enumerate(rows):
        axes[0].plot(r["steps"], r["loss"], color=f"C{i}", label=r["run"])
        axes[1].plot(r["steps"], r["dev"], color=f"C{i}", label=f"{r['run']} dev")
        axes[1].plot(r["steps"], r["train"], "--", color=f"C{i}", alpha=0.6)
    axes[0].set_ylabel("training loss (mean NLL per token, nats)")
    axes[1].set_ylabel("perplexity, all predicted tokens (log scale)")
    axes[1].set_yscale("log")
    axes[1].set_title("dev (solid) and train (dashed) perplexity")
    axes[0].set_title("training loss")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(study.title)
    save_figure(fig, path)


def report(names: list[str], root: Path = Path("."), exp_show: list[dict] | None = None,
           findings: dict[str, str] | None = None, date: str = "", machine: str = "2 CPU cores") -> dict[str, str]:
    """Plots and the markdown section of each named study; `findings` adds each study's closing paragraph."""
    if exp_show is None:
        done = subprocess.run(["dvc", "exp", "show", "-A", "--json"], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise TangshiError(f"dvc exp show failed ({done.stderr.strip()[-200:]}): run inside the repository")
        exp_show = json.loads(done.stdout)
    found = experiments(exp_show)
    sections = {}
    for name in names:
        study = STUDIES[name]
        rows = summarise(study, found, root)
        plot(name, study, rows, root / "plots" / "studies" / f"{name}.png")
        section = markdown(name, study, rows, date, machine) + f"\n\n![{name}](../plots/studies/{name}.png)"
        if findings and findings.get(name):
            section += "\n\n" + findings[name].strip()
        sections[name] = section
    return sections


def merge_sections(document: str, sections: dict[str, str]) -> str:
    """`document` with each named study's marked section replaced (or appended, if it has none yet)."""
    for name, section in sections.items():
        block = f"{MARK.format(name)}\n{section}\n{END}"
        start = document.find(MARK.format(name))
        if start < 0:
            document = document.rstrip() + "\n\n" + block + "\n"
        else:
            end = document.index(END, start) + len(END)
            document = document[:start] + block + document[end:]
    return document


def run_study(name: str, jobs: int, root: Path = Path(".")) -> None:
    check_git_identity(root)
    done = set(subprocess.run(["dvc", "exp", "list", "--name-only"], cwd=root, capture_output=True, text=True).stdout.split())
    for command in queue_commands(STUDIES[name]):
        if command[5] in done:  # studies share runs (depth's seeds of the single LSTM are forget_bias's main)
            print(f"{command[5]}: already run on this commit")
            continue
        print(" ".join(command))
        subprocess.run(command, cwd=root, check=True)
    subprocess.run(["dvc", "queue", "start", "-j", str(jobs)], cwd=root, check=True, stdout=subprocess.DEVNULL)
    while True:  # wait for the queue to drain
        status = subprocess.run(["dvc", "queue", "status"], cwd=root, capture_output=True, text=True).stdout
        if not any(word in status for word in (" Queued", " Running")):
            break
        time.sleep(30)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m tangshi.reports.studies", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="queue a study's experiments and run them")
    r.add_argument("study", choices=list(STUDIES))
    r.add_argument("-j", "--jobs", type=int, default=1)
    s = sub.add_parser("report", help="plots/studies/*.png and the tables, from dvc exp show")
    s.add_argument("studies", nargs="*", help=f"any of {', '.join(STUDIES)} (default: all)")
    s.add_argument("--out", default="docs/studies.md")
    args = p.parse_args(argv)

    def go() -> None:
        if args.command == "run":
            run_study(args.study, args.jobs)
        else:
            notes = Path("docs/study_findings.yaml")  # the intro and each study's paragraph, written by people
            text = yaml.safe_load(notes.read_text(encoding="utf-8")) if notes.exists() else {}
            for name in args.studies:
                choose("study", name, STUDIES)
            sections = report(args.studies or list(STUDIES), findings=text, date=text.get("date", ""),
                              machine=text.get("machine", "2 CPU cores"))
            out = Path(args.out)
            document = out.read_text(encoding="utf-8") if out.exists() else text.get("intro", "# Studies").rstrip() + "\n"
            write_text(out, merge_sections(document, sections))
            print(f"wrote {', '.join(sections)} into {args.out}, and plots/studies/")

    run_main(go)


if __name__ == "__main__":
    main(sys.argv[1:])
