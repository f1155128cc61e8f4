import json
from pathlib import Path

import numpy as np
import pytest

from tangshi.data.vocab import build_vocab, encode_all
from tangshi.errors import TangshiError
from tangshi.models.checkpoint import load_poet
from tangshi.models.poet import ModelConfig, all_token_nll
from tangshi.training.loop import train_variant
from tangshi.training.trainer import TrainConfig

VARIANTS = {
    "numpy": ModelConfig("numpy", 1, 32, 0.0),
    "autograd": ModelConfig("autograd", 2, 32, 0.2),
    "single": ModelConfig("torch", 1, 32, 0.2),
    "double": ModelConfig("torch", 2, 32, 0.2),
    "triple": ModelConfig("torch", 3, 32, 0.2),
}


@pytest.fixture(scope="module")
def data(fixture_corpus, tmp_path_factory):
    train = [t for _, t in fixture_corpus.large.train]
    dev = [t for _, t in fixture_corpus.large.dev]
    vocab = build_vocab(train, 300, "random", 42)
    embedding = np.random.default_rng(0).standard_normal((len(vocab), 16)).astype(np.float32)
    folder = tmp_path_factory.mktemp("inputs")
    inputs = []
    for name, array in (("train", encode_all(vocab, train)), ("dev", encode_all(vocab, dev)), ("embedding", embedding)):
        np.save(folder / f"{name}.npy", array)
        inputs.append(folder / f"{name}.npy")
    return vocab, encode_all(vocab, train), encode_all(vocab, dev), embedding, inputs


@pytest.fixture(scope="module")
def verse(data, fixture_verse):
    from tangshi.data.batching import cut_pieces
    from tangshi.data.verse import encode_verse, verse_offsets

    texts = [t for _, t in fixture_verse.poems]
    return cut_pieces(encode_verse(data[0], texts), verse_offsets(texts))


POET = ModelConfig("torch", 1, 32, 0.1, tie=True, corpus="large", verse_epochs=1.5, schedule="cosine")


def run(data, out: Path, variant="single", model=None, verse=None, **train_kw):
    vocab, train_ids, dev_ids, embedding, inputs = data
    cfg = TrainConfig(**{"epochs": 2, "patience": 0, "batch_size": 32, "lr": 0.005, **train_kw})
    summary = train_variant(
        variant, model or VARIANTS[variant], cfg, 42, vocab, train_ids, dev_ids, embedding, inputs,
        out / "models" / variant, out / "dvclive" / variant, progress=False, verse=verse,
    )
    return summary


def curve(out: Path, variant: str, metric: str) -> list[float]:
    rows = (out / "dvclive" / variant / "plots" / "metrics" / f"{metric}.tsv").read_text().splitlines()[1:]
    return [float(r.split("\t")[-1]) for r in rows]


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_learns_in_two_epochs(data, tmp_path, variant):
    summary = run(data, tmp_path, variant)
    loss = curve(tmp_path, variant, "train/loss")
    assert len(loss) == 2 and loss[1] < loss[0]
    assert curve(tmp_path, variant, "dev/ppl")[1] < curve(tmp_path, variant, "dev/ppl")[0]
    assert summary["epochs"] == 2 and summary["best_epoch"] == 2
    config = json.loads((tmp_path / "models" / variant / "config.json").read_text())
    assert config["status"] == "done" and config["vocab_digest"] == data[0].digest()
    poet, _ = load_poet(tmp_path / "models" / variant, data[0], device="cpu")
    dev = data[2]
    ppl = float(np.exp(all_token_nll(poet, dev).mean()))
    assert ppl == pytest.approx(summary["best_dev_ppl"], rel=1e-4)  # best.pt holds the best epoch


@pytest.mark.parametrize("variant", ["numpy", "double"])
def test_same_params_and_seed_give_identical_metrics(data, tmp_path, variant):
    run(data, tmp_path / "a", variant)
    run(data, tmp_path / "b", variant)
    for metric in ("train/loss", "train/ppl", "dev/ppl", "dev/ppl_chars"):
        assert curve(tmp_path / "a", variant, metric) == curve(tmp_path / "b", variant, metric)


@pytest.mark.parametrize("variant", ["numpy", "single"])
def test_killed_run_resumes_after_last_finished_epoch(data, tmp_path, monkeypatch, capsys, variant):
    run(data, tmp_path / "whole", variant, epochs=3)
    from tangshi.training import trainer as trainer_mod

    cls = trainer_mod.NumpyTrainer if variant == "numpy" else trainer_mod.TorchTrainer
    original, calls = cls.train_step, {"n": 0}
    steps_per_epoch = -(-len(data[1]) // 32)

    def dies_in_epoch_3(self, ids, condition=None):
        calls["n"] += 1
        if calls["n"] > 2 * steps_per_epoch + 1:
            raise KeyboardInterrupt  # as if `dvc repro` were killed mid-epoch
        return original(self, ids, condition)

    monkeypatch.setattr(cls, "train_step", dies_in_epoch_3)
    with pytest.raises(KeyboardInterrupt):
        run(data, tmp_path / "killed", variant, epochs=3)
    monkeypatch.setattr(cls, "train_step", original)
    capsys.readouterr()
    run(data, tmp_path / "killed", variant, epochs=3)
    assert "resuming after epoch 2" in capsys.readouterr().out
    for metric in ("train/loss", "dev/ppl"):
        assert curve(tmp_path / "killed", variant, metric) == curve(tmp_path / "whole", variant, metric)


def test_poet_reads_the_verse_then_the_tang_poems(data, verse, tmp_path):
    summary = run(data, tmp_path, "poet", POET, verse, epochs=2)
    phases = curve(tmp_path, "poet", "phase")
    assert phases == [1, 1, 2, 2] and summary["epochs"] == 4 and summary["verse_epochs_run"] == 2
    lr = curve(tmp_path, "poet", "lr")  # cosine over the 1.5 verse epochs, then fine-tuning at lr/10
    assert lr[0] > lr[1] > lr[2] == lr[3] == pytest.approx(0.0005)
    history = __import__("torch").load(tmp_path / "models" / "poet" / "last.pt", weights_only=True)["history"]
    assert [round(r["fraction"], 2) for r in history] == [1.0, 0.5, 1.0, 1.0]
    assert history[0]["tokens_per_s"] > 0 and curve(tmp_path, "poet", "dev/ppl")[3] < curve(tmp_path, "poet", "dev/ppl")[0]
    config = json.loads((tmp_path / "models" / "poet" / "config.json").read_text())
    assert config["tie"] and config["corpus"] == "large" and config["verse_epochs"] == 1.5
    poet, _ = load_poet(tmp_path / "models" / "poet", data[0], device="cpu")
    assert not hasattr(poet.model, "out") and not hasattr(poet, "optimizer")  # tied: the head is the embedding; a poet holds no optimizer


def test_tang_epochs_decay_the_learning_rate_after_the_verse(data, verse, tmp_path):
    from dataclasses import replace

    summary = run(data, tmp_path, "poet", replace(POET, schedule="constant", tang_decay=0.5), verse, epochs=3)
    assert summary["epochs"] == 5 and summary["verse_epochs_run"] == 2
    assert curve(tmp_path, "poet", "lr") == pytest.approx([0.005, 0.005, 0.005, 0.0025, 0.00125])  # verse at lr, then halved
    cosine = run(data, tmp_path / "cosine", "poet", replace(POET, tang_decay=0.5), verse, epochs=3)
    assert cosine["epochs"] == 5 and curve(tmp_path / "cosine", "poet", "lr")[2:] == pytest.approx([0.0005, 0.00025, 0.000125])
    capped = run(data, tmp_path / "capped", "poet", replace(POET, schedule="constant", tang_decay=0.5, epochs=2), verse, epochs=3)
    assert capped["epochs"] == 4 and capped["stopped_early"] is False  # the model's own cap on Tang epochs
    assert curve(tmp_path / "capped", "poet", "dev/ppl") == curve(tmp_path, "poet", "dev/ppl")[:4]
    with pytest.raises(TangshiError, match=r"epochs .* must be a whole number >= 1 or null, not 0"):
        replace(POET, epochs=0)
    with pytest.raises(TangshiError, match=r"0 < tang_decay <= 1 \(1: constant\), not 1.5"):
        replace(POET, tang_decay=1.5)
    with pytest.raises(TangshiError, match="not 0"):
        replace(POET, tang_decay=0)


def test_a_poet_of_every_form_reads_its_form_token_first(tiny_models):
    from tangshi.forms import FORMS, form_token_id

    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    assert poet.forms == FORMS and poet.model.embed.num_embeddings == len(vocab) + len(FORMS)
    assert [poet.start_id(f) for f in FORMS] == [form_token_id(len(vocab), f) for f in FORMS] == list(range(len(vocab), len(vocab) + 4))
    state = poet.init_state(2)
    logits, _ = poet.step(__import__("torch").tensor([poet.start_id(FORMS[0]), poet.start_id(FORMS[3])]), state)
    assert logits.shape == (2, len(vocab))  # form tokens are read, never predicted
    assert not __import__("torch").allclose(logits[0], logits[1])  # and the form changes what comes next
    config = json.loads((tiny_models["out"] / "models" / "poet" / "config.json").read_text())
    assert config["forms"] == ["五绝", "七绝", "五律", "七律"] and config["dictionary"] == "poet" and config["output"] == "adaptive"
    assert tiny_models["poets"]["single"].start_id(FORMS[2]) == tiny_models["vocab"].bos


def test_killed_poet_resumes_across_the_phase_boundary(data, verse, tmp_path, monkeypatch, capsys):
    from tangshi.data.batching import batch_count
    from tangshi.training import trainer as trainer_mod

    run(data, tmp_path / "whole", "poet", POET, verse, epochs=2)
    original, calls = trainer_mod.TorchTrainer.train_step, {"n": 0}
    verse_steps = batch_count(verse, 32) + batch_count(verse, 32, 0.5)

    def dies_in_the_first_tang_epoch(self, ids, condition=None):
        calls["n"] += 1
        if calls["n"] > verse_steps + 1:
            raise KeyboardInterrupt
        return original(self, ids, condition)

    monkeypatch.setattr(trainer_mod.TorchTrainer, "train_step", dies_in_the_first_tang_epoch)
    with pytest.raises(KeyboardInterrupt):
        run(data, tmp_path / "killed", "poet", POET, verse, epochs=2)
    monkeypatch.setattr(trainer_mod.TorchTrainer, "train_step", original)
    capsys.readouterr()
    run(data, tmp_path / "killed", "poet", POET, verse, epochs=2)
    assert "resuming after epoch 2" in capsys.readouterr().out
    for metric in ("train/loss", "dev/ppl", "lr", "phase"):
        assert curve(tmp_path / "killed", "poet", metric) == curve(tmp_path / "whole", "poet", metric)


def test_verse_epochs_need_the_verse_corpus(data, tmp_path):
    with pytest.raises(TangshiError, match=r"reads the verse corpus first .*dvc repro verse"):
        run(data, tmp_path, "poet", POET)
    with pytest.raises(TangshiError, match="schedule cosine decays over the verse epochs"):
        ModelConfig("torch", 1, 8, 0.0, schedule="cosine")
    with pytest.raises(TangshiError, match="the NumPy LSTM is the report's"):
        ModelConfig("numpy", 1, 8, 0.0, verse_epochs=1)


def test_checkpoint_for_other_params_starts_fresh(data, tmp_path, capsys):
    run(data, tmp_path, "single", epochs=1)
    run(data, tmp_path, "single", epochs=1, lr=0.001)
    assert "starting fresh" in capsys.readouterr().out
    assert len(curve(tmp_path, "single", "dev/ppl")) == 1


def test_resume_only_where_a_fresh_run_would_have_reached(data, tmp_path, capsys):
    run(data, tmp_path / "a", "single", epochs=4)
    run(data, tmp_path / "a", "single", epochs=2)  # the checkpoint ran past 2 epochs: start over
    out = capsys.readouterr().out
    assert "starting fresh" in out and len(curve(tmp_path / "a", "single", "dev/ppl")) == 2
    run(data, tmp_path / "b", "single", epochs=2)
    run(data, tmp_path / "b", "single", epochs=3)  # more epochs: go on after epoch 2
    assert "resuming after epoch 2" in capsys.readouterr().out
    run(data, tmp_path / "c", "single", epochs=3)
    assert curve(tmp_path / "b", "single", "dev/ppl") == curve(tmp_path / "c", "single", "dev/ppl")


def test_reaches_respects_patience():
    from tangshi.training.loop import reaches

    history = [{"epoch": i + 1, "dev_ppl": p} for i, p in enumerate([10.0, 9.0, 9.5, 9.6, 9.7])]
    assert reaches(history, 5, 0) and reaches(history, 5, 3) and reaches(history, 9, 3)
    assert not reaches(history, 4, 0)  # too many epochs
    assert not reaches(history, 5, 2)  # patience 2 would have stopped after epoch 4
    assert reaches(history, 3, 3, verse_count=2)  # Tang epochs 3-5 count from the last verse epoch
    assert not reaches(history, 3, 2, verse_count=2) and not reaches(history, 2, 3, verse_count=2)


def test_early_stopping_keeps_best_epoch(data, tmp_path):
    summary = run(data, tmp_path, "numpy", epochs=30, patience=1, lr=0.05, optimizer="adam")
    assert summary["stopped_early"] and summary["epochs"] == summary["best_epoch"] + 1
    assert min(curve(tmp_path, "numpy", "dev/ppl")) == pytest.approx(summary["best_dev_ppl"])


def test_compiled_training_follows_eager_training(data, tmp_path):
    model = ModelConfig("autograd", 1, 32, 0.0)  # compiled dropout draws other random numbers
    run(data, tmp_path / "eager", "autograd", model, epochs=1)
    run(data, tmp_path / "compiled", "autograd", model, epochs=1, compile=True)
    for metric in ("train/loss", "dev/ppl"):
        eager, compiled = curve(tmp_path / "eager", "autograd", metric), curve(tmp_path / "compiled", "autograd", metric)
        assert compiled == pytest.approx(eager, rel=1e-4), metric  # fused kernels round differently, nothing more


def test_nan_loss_names_the_epoch_and_lr(data, tmp_path):
    with pytest.raises(TangshiError, match=r"(loss|dev perplexity) became (nan|inf) in epoch 1: lower train.lr \(now 1e\+30\)"):
        run(data, tmp_path, "numpy", lr=1e30, optimizer="sgd", clip=0)


def test_refusals(data, tmp_path):
    with pytest.raises(TangshiError, match="unknown optimizer 'lbfgs': choose one of sgd, momentum, adagrad, rmsprop, adam"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(TangshiError, match="unknown embedding mode 'glove': choose one of finetune, frozen, none"):
        TrainConfig(embedding="glove")
    with pytest.raises(TangshiError, match="train.compile must be true or false, not 'yes'"):
        TrainConfig(compile="yes")
    with pytest.raises(TangshiError, match="unknown model implementation 'jax': choose one of numpy, autograd, torch"):
        ModelConfig("jax", 1, 8, 0.0)
    run(data, tmp_path, "single", epochs=1)
    other = build_vocab(["山月，日夜。"], 10, "random", 42)
    with pytest.raises(TangshiError, match="was trained with another dictionary"):
        load_poet(tmp_path / "models" / "single", other)
    (tmp_path / "models" / "single" / "best.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TangshiError, match="corrupt checkpoint .*best.pt"):
        load_poet(tmp_path / "models" / "single", data[0])
