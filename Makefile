# The two commands of the README: `make repro` (the pipeline) and `make test`.
# Both create .venv if missing and install the pinned lock; both are no-ops
# for set-up when requirements.lock and pyproject.toml have not changed.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)

.PHONY: setup repro test bench gpu-checks

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

repro: $(STAMP)
	dvc repro

test: $(STAMP)
	python -m pytest -q -rs $(PYTEST_ARGS)

bench: $(STAMP)
	python -m tangshi.reports.bench

# On a CUDA machine, with its own python3 (torch, numpy, pytest, threadpoolctl, pyyaml, opencc; no venv,
# no DVC): the GPU-only tests, then the benchmark at the issue's shapes and at a batch that fills the card.
GPU_PYTHON ?= python3
gpu-checks:
	PYTHONPATH=src $(GPU_PYTHON) -m pytest -q -p no:cacheprovider tests/test_gpu.py
	PYTHONPATH=src $(GPU_PYTHON) -m tangshi.reports.bench --device cuda --out metrics/bench_cuda.json
	PYTHONPATH=src $(GPU_PYTHON) -m tangshi.reports.bench --device cuda --batch 1024 --no-compile --out metrics/bench_cuda_b1024.json

# The report's studies as DVC experiments (see docs/studies.md): make study-optimizers, study-embeddings, …
# DVC experiments are git commits: the runner stops first, with the fix, where git has no user.name/email.
STUDIES := optimizers embeddings forget_bias depth early_stopping large poet
.PHONY: $(addprefix study-,$(STUDIES)) studies-report
$(addprefix study-,$(STUDIES)): study-%: $(STAMP)
	python -m tangshi.reports.studies run $*
	python -m tangshi.reports.studies report $*

studies-report: $(STAMP)
	python -m tangshi.reports.studies report
