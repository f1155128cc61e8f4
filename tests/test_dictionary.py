"""The poet's own dictionary: its coverage rule and `<oov>`, the adaptive output layer, and perplexity folded onto
the shared dictionary."""

import json
import math

import numpy as np
import pytest
import torch

from tangshi.data.vocab import OOV_TOKEN, SPECIALS, build_poet_vocab, build_vocab, dictionary_path, encode_all, rare_characters
from tangshi.errors import TangshiError
from tangshi.forms import WULV, with_start
from tangshi.models.poet import ModelConfig, all_token_nll, build_poet
from tangshi.training.perplexity import build_fold, fold_sources, folded_token_nll
from tangshi.writing.decode import Request, write_poems

TEXT = ["山月山月日，山月日夜风。" * 4, "山山日日海，何何红红夜。" * 4, "鹳蘋，"]


def test_the_poets_dictionary_keeps_every_character_seen_min_count_times():
    vocab = build_poet_vocab(TEXT, 8, 42)  # 山 20, 日 16, 月 12, then 何 夜 红 8 each (by code point); 海 风 4, 鹳 蘋 1
    assert vocab.tokens == list(SPECIALS) + ["山", "日", "月", "何", "夜", "红", OOV_TOKEN] and vocab.oov == "token"
    assert vocab.char_id("海") == vocab.index[OOV_TOKEN] and "海" not in vocab and vocab.index[OOV_TOKEN] not in vocab.char_ids
    assert len(build_poet_vocab(TEXT, 1, 42).char_ids) == 10  # every character, once is enough
    assert rare_characters(TEXT, vocab) == {"海": 4, "风": 4, "蘋": 1, "鹳": 1}  # what <oov> stands for
    with pytest.raises(TangshiError, match="poet_vocab.min_count must be at least 1, not 0"):
        build_poet_vocab(TEXT, 0, 42)
    with pytest.raises(TangshiError, match="no character occurs 999 times .* lower poet_vocab.min_count"):
        build_poet_vocab(TEXT, 999, 42)


def test_each_dictionary_has_its_file_beside_the_shared_one(tmp_path):
    assert dictionary_path(tmp_path / "vocab.json", "poet") == tmp_path / "poet_vocab.json"
    assert dictionary_path("data/vocab.json", "shared").as_posix() == "data/vocab.json"
    with pytest.raises(TangshiError, match="unknown dictionary 'mine': choose one of shared, poet"):
        dictionary_path("data/vocab.json", "mine")


class FixedPoet:
    """The same distribution over the poet's tokens at every position."""

    def __init__(self, probs: list[float]):
        self.probs = torch.tensor(probs, dtype=torch.float64)

    def log_probs(self, ids):
        return self.probs.log().expand(len(ids), ids.shape[1] - 1, -1)


def test_the_fold_sums_the_poets_probabilities_of_what_the_shared_dictionary_writes_as_one_token():
    shared = build_vocab(["山山山月月，"], 2, "random", 7)  # * $ ， 。 山 月; any other character -> 山 or 月
    own = build_poet_vocab(["山月鹳，"], 1, 7)  # * $ ， 。 山 月 鹳 <oov>  (order: 山 月 鹳 by code point, all once)
    assert own.tokens[4:] == sorted("山月鹳", key=ord) + [OOV_TOKEN]
    p = dict(zip(own.tokens, [0.0, 0.1, 0.1, 0.1, 0.2, 0.1, 0.3, 0.1]))  # 鹳 0.3, <oov> 0.1
    poet = FixedPoet([p[t] for t in own.tokens])
    # <oov> stood for 蘋 (3 times) and 藻 (1 time); the shared rule sends 鹳, 蘋, 藻 to 山 or 月
    fold = build_fold(own, shared, {"蘋": 3, "藻": 1, "山": 9})  # a character the poet knows is not <oov>'s
    to = {c: shared.tokens[shared.char_id(c)] for c in "鹳蘋藻"}
    expected = {
        target: p[target] + p["鹳"] * (to["鹳"] == target) + p[OOV_TOKEN] * (0.75 * (to["蘋"] == target) + 0.25 * (to["藻"] == target))
        for target in ("山", "月")
    }
    assert expected["山"] + expected["月"] + 0.3 == pytest.approx(1.0)  # with $ ， 。: a distribution over the shared tokens
    poem = "山月鹳，"
    nll = folded_token_nll(poet, np.array([own.encode(poem)] * 2), np.array([shared.encode(poem)] * 2), fold)
    assert nll.shape == (2, len(poem) + 1)
    got = np.exp(-nll[0])
    assert got[:4] == pytest.approx([expected["山"], expected["月"], expected[to["鹳"]], 0.1])
    assert got[4] == pytest.approx(0.1)  # `$`
    with pytest.raises(TangshiError, match="differ in shape"):
        folded_token_nll(poet, np.zeros((2, 5), int), np.zeros((2, 6), int), fold)


@pytest.mark.parametrize("variant", ["single", "numpy"])
def test_the_fold_of_the_shared_dictionary_onto_itself_changes_nothing(tiny_models, variant):
    poet, vocab, out = tiny_models["poets"][variant], tiny_models["vocab"], tiny_models["out"]
    ids = np.load(out / "dev.npy")[:20]
    fold = build_fold(vocab, vocab, {})
    assert folded_token_nll(poet, ids, ids, fold) == pytest.approx(all_token_nll(poet, ids), abs=1e-4)


def test_the_adaptive_output_layer_scores_and_writes(tiny_models):
    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    assert poet.model.adaptive is not None and len(vocab) == poet.model.vocab_size
    from tangshi.forms import FORMS, with_start

    ids = with_start(np.array([vocab.encode("山月照空林，清泉石上流。白云生远树，明月照高楼。")]), poet.start_id(FORMS[2]))
    lp = poet.log_probs(ids)  # (1, T, V): the whole distribution at each step, through log_prob
    assert lp.shape == (1, ids.shape[1] - 1, len(vocab)) and torch.allclose(lp.exp().sum(-1), torch.ones(1, ids.shape[1] - 1), atol=1e-4)
    picked = -lp[0].gather(1, torch.as_tensor(ids[0, 1:], dtype=torch.long)[:, None]).squeeze(1).numpy()
    assert poet.token_nll(ids)[0] == pytest.approx(picked, abs=1e-4)  # the loss the trainer uses is the same model
    state = poet.init_state(1)
    scores, _ = poet.step(torch.tensor([poet.start_id(FORMS[2])]), state)
    assert torch.allclose(scores[0].double(), lp[0, 0].double(), atol=1e-4)  # writing sees the same distribution


class LeaningToOov:
    """A poet whose every step makes `<oov>` the likeliest token by far."""

    def __init__(self, poet, oov: int):
        self.poet, self.oov = poet, oov

    def __getattr__(self, name):
        return getattr(self.poet, name)

    def step(self, x, state, aligned=None):
        scores, state = self.poet.step(x, state, aligned)
        scores = scores.clone()
        scores[:, self.oov] += 50.0
        return scores, state


def test_the_poet_never_writes_oov_even_unconstrained(tiny_models):
    poet, vocab = tiny_models["poets"]["poet"], tiny_models["poet_vocab"]
    leaning = LeaningToOov(poet, vocab.index[OOV_TOKEN])
    for mode in ("none", "form"):
        written = write_poems(leaning, vocab, [Request(start="山")] * 20, mode, seed=3, form=poet.forms[2])
        assert all(OOV_TOKEN not in w.tokens and "*" not in w.tokens[1:] for w in written), [w.tokens for w in written]
    with pytest.raises(TangshiError, match="character '龘' is not in the model's dictionary"):
        write_poems(poet, vocab, [Request(start="龘")], form=poet.forms[2])


def test_a_checkpoint_of_the_old_dictionary_is_refused(tiny_models, tmp_path):
    from tangshi.models.checkpoint import load_poet

    out = tiny_models["out"]
    config = json.loads((out / "models" / "poet" / "config.json").read_text())
    assert load_poet(out / "models" / "poet", out / "vocab.json", "cpu")[0].vocab.digest() == config["vocab_digest"]
    # the same model, but the poet's dictionary beside the shared one is now another (say, a rerun with a new min_count)
    (tmp_path / "vocab.json").write_bytes((out / "vocab.json").read_bytes())
    other = build_poet_vocab(["山月，"], 1, 42)
    (tmp_path / "poet_vocab.json").write_text(json.dumps(other.to_json(), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TangshiError, match=r"was trained with another dictionary .* than .*poet_vocab.json .* retrain it"):
        load_poet(out / "models" / "poet", tmp_path / "vocab.json", "cpu")


def test_model_configs_refuse_what_cannot_be_built():
    with pytest.raises(TangshiError, match="set tie: false with output: adaptive"):
        ModelConfig("torch", 1, 8, 0.0, tie=True, output="adaptive")
    with pytest.raises(TangshiError, match="the NumPy LSTM is the report's: output: full, dictionary: shared"):
        ModelConfig("numpy", 1, 8, 0.0, dictionary="poet")
    with pytest.raises(TangshiError, match="unknown model output layer 'hierarchical'"):
        ModelConfig("torch", 1, 8, 0.0, output="hierarchical")
    with pytest.raises(TangshiError, match="patience must be a whole number >= 0 or null"):
        ModelConfig("torch", 1, 8, 0.0, patience=-1)


def test_adaptive_and_full_layers_train_the_same_way():
    """One step of each on the same batch: the loss is the mean NLL of the non-PAD targets, as the full softmax's."""
    from tangshi.training.trainer import TrainConfig, build_trainer

    rng = np.random.default_rng(0)
    emb = rng.standard_normal((40, 8)).astype(np.float32)
    ids = rng.integers(0, 40, size=(4, 9))
    ids[0, 6:] = -1  # PAD
    for output in ("full", "adaptive"):
        trainer = build_trainer(ModelConfig("torch", 1, 16, 0.0, output=output, shortlist=10), TrainConfig(lr=1e-9), emb, 0,
                                torch.device("cpu"))
        nll = trainer.poet.token_nll(np.where(ids < 0, 0, ids))
        loss = trainer.train_step(ids)
        assert loss == pytest.approx(nll[:, :][ids[:, 1:] >= 0].mean(), rel=1e-4)
        assert math.isfinite(loss)
    poet = build_poet(ModelConfig("torch", 1, 16, 0.0, output="adaptive", shortlist=10), emb, 0)
    assert poet.model.adaptive.cutoffs == [10, 40]


def test_the_fold_of_each_target_equals_folding_the_whole_table(tiny_models):
    """The fold sums each target's sources alone; folding every entry of the poet's table gives the same bits."""
    poet, own, shared, out = tiny_models["poets"]["poet"], tiny_models["poet_vocab"], tiny_models["vocab"], tiny_models["out"]
    texts = [t for _, t in tiny_models["splits"][WULV].dev][:12]
    fold = build_fold(own, shared, {"蘋": 3, "藻": 1})
    assert (fold_sources(fold, len(shared)) >= 0).sum(1).max() > 1  # several of the poet's characters share a token
    own_ids = with_start(encode_all(own, texts), poet.start_id(WULV))
    shared_ids = encode_all(shared, texts)
    probs = poet.log_probs(own_ids).double().exp()  # the whole (N, T, V_own) table, folded onto (N, T, V_shared)
    kept = np.flatnonzero(fold.index >= 0)
    table = probs.new_zeros(*probs.shape[:2], len(shared)).index_add_(2, torch.as_tensor(fold.index[kept]), probs[..., kept])
    table += probs[..., fold.oov : fold.oov + 1] * torch.as_tensor(fold.oov_weights)
    expected = -table.gather(2, torch.as_tensor(shared_ids[:, 1:])[..., None]).squeeze(2).log().numpy()
    assert np.array_equal(folded_token_nll(poet, own_ids, shared_ids, fold), expected)  # one batch of 12 poems
