"""On a CUDA GPU only (skipped elsewhere): writing never waits for the device, training matches the CPU, the compiled cell.

Self-contained (no trained models, no DVC), so `make gpu-checks` runs on a bare GPU machine with torch."""

import numpy as np
import pytest
import torch

from tangshi.models.poet import ModelConfig, build_poet
from tangshi.reports.bench import fake_vocab
from tangshi.training.trainer import TrainConfig, build_trainer
from tangshi.writing.decode import Constraints, Request, write_poems

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
TF32 = 2e-3  # relative: TF32 keeps a 10-bit mantissa; SGD below, since RMSprop's first steps amplify sign noise


@pytest.mark.parametrize("batch", [1, 16])  # 16 x 49 tokens > 60 entries: the input-projection table is used
def test_writing_queues_every_step_without_waiting(batch):
    vocab = fake_vocab(60)
    embedding = np.random.default_rng(0).standard_normal((60, 8)).astype(np.float32)
    poet = build_poet(ModelConfig("torch", 2, 32, 0.0), embedding, 0, device=torch.device("cuda"))
    heads = "".join(vocab.tokens[10:18])
    requests = [Request(acrostic=heads) if b % 2 else Request(start=heads[0]) for b in range(batch)]
    written = write_poems(poet, vocab, requests, "form", Constraints(vocab), seed=1, forbid_sync=True)
    assert all(w.tokens.endswith("$") and len(w.poem) == 48 for w in written)


def test_keeping_a_plan_never_waits_for_the_gpu():
    from tangshi.forms import BY_NAME
    from tangshi.writing.keep_keywords import KeywordKeeper

    form, batch = BY_NAME["五绝"], 4
    chars = np.full((batch, form.tokens + 1, 2), -1)
    chars[:, 0:5], chars[:, 6:11] = (10, 11), (12, -1)  # a word, then a character
    keep = KeywordKeeper(chars, np.ones(chars.shape, bool), form, torch.device("cuda"))
    allowed = torch.ones(batch, 60, dtype=torch.bool, device="cuda")
    free = torch.full((batch,), 13, device="cuda")
    torch.cuda.set_sync_debug_mode("error")
    try:
        for k in range(form.tokens + 1):
            keep.banned(k)
            due = keep.due(k, allowed)
            written = torch.where(due >= 0, due, free)
            keep.wrote(k, written)
            if k == 4:
                last = written
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert (last == 11).all()  # the word at the last places of line 1


@pytest.mark.parametrize("impl, layers", [("torch", 1), ("torch", 2), ("autograd", 2)])
def test_a_training_step_on_the_gpu_matches_the_cpu(impl, layers):
    rng = np.random.default_rng(0)
    embedding = rng.standard_normal((50, 8)).astype(np.float32)
    ids = rng.integers(0, 50, size=(16, 13))
    losses = {}
    for device in ("cpu", "cuda"):
        trainer = build_trainer(ModelConfig(impl, layers, 32, 0.0), TrainConfig(optimizer="sgd", lr=0.5), embedding, 0, torch.device(device))
        losses[device] = [trainer.train_step(ids) for _ in range(3)]
    assert losses["cuda"] == pytest.approx(losses["cpu"], rel=TF32)


def test_the_compiled_cell_matches_the_eager_cell_on_the_gpu():
    rng = np.random.default_rng(1)
    embedding = rng.standard_normal((50, 8)).astype(np.float32)
    ids = rng.integers(0, 50, size=(16, 13))
    losses = {}
    for compiled in (False, True):
        train = TrainConfig(optimizer="sgd", lr=0.5, compile=compiled)
        trainer = build_trainer(ModelConfig("autograd", 1, 32, 0.0), train, embedding, 0, torch.device("cuda"))
        losses[compiled] = [trainer.train_step(ids) for _ in range(3)]
    assert losses[True] == pytest.approx(losses[False], rel=TF32)
