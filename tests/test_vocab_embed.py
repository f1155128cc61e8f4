import numpy as np
import pytest

from tangshi.data.embed import build_embedding
from tangshi.data.pretrain import neighbours, save_word2vec_text, sentences, train_vectors
from tangshi.data.vocab import OOV_TOKEN, SPECIALS, Vocab, build_vocab, encode_all, oov_rate
from tangshi.errors import TangshiError

TRAIN = ["山月山月日，山月日夜风。" * 4, "山山日日海，何何红红夜。" * 4]


def test_vocab_orders_by_frequency_then_code_point():
    vocab = build_vocab(TRAIN, 3, "random", 42)
    assert vocab.tokens[:4] == list(SPECIALS)
    assert vocab.tokens[4:] == ["山", "日", "月"]  # 山 12x; 日 and 月 tie at 8x... 日 < 月 by code point
    assert "海" not in vocab and "山" in vocab and "*" not in vocab


def test_random_oov_is_a_fixed_draw_shared_by_every_split():
    vocab = build_vocab(TRAIN, 3, "random", 42)
    again = build_vocab(TRAIN, 3, "random", 42)
    ids = vocab.encode(TRAIN[1])
    assert ids == again.encode(TRAIN[1])
    assert ids[0] == vocab.bos and ids[-1] == vocab.eos and len(ids) == len(TRAIN[1]) + 2
    assert vocab.char_id("海") in vocab.char_ids
    assert len({build_vocab(TRAIN, 3, "random", s).char_id("海") for s in range(20)}) > 1


def test_token_oov_and_rates():
    vocab = build_vocab(TRAIN, 3, "token", 42)
    assert vocab.tokens[-1] == OOV_TOKEN and vocab.char_id("海") == vocab.index[OOV_TOKEN]
    assert oov_rate(vocab, ["山海，"]) == pytest.approx(0.5)
    encoded = encode_all(vocab, TRAIN)
    assert encoded.shape == (2, len(TRAIN[0]) + 2) and encoded.dtype == np.int32


def test_vocab_roundtrip_and_digest(tmp_path):
    import json

    vocab = build_vocab(TRAIN, 3, "random", 42)
    (tmp_path / "v.json").write_text(json.dumps(vocab.to_json(), ensure_ascii=False))
    loaded = Vocab.load(tmp_path / "v.json")
    assert loaded.tokens == vocab.tokens and loaded.digest() == vocab.digest()
    assert build_vocab(TRAIN, 2, "random", 42).digest() != vocab.digest()


def test_bad_vocab_inputs(tmp_path):
    with pytest.raises(TangshiError, match="unknown vocab.oov 'unk': choose one of random, token"):
        build_vocab(TRAIN, 3, "unk", 42)
    with pytest.raises(TangshiError, match="not found: run `dvc repro vocab`"):
        Vocab.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(TangshiError, match="is not a tangshi vocabulary"):
        Vocab.load(tmp_path / "bad.json")


def test_embedding_reads_traditional_keys_and_fills_misses(tmp_path):
    vocab = build_vocab(["风云，月。"], 10, "random", 42)  # 风 云 月
    path = tmp_path / "v.txt"
    path.write_text("3 2\n風 1.0 2.0\n月 3.0 4.0\n月 5.0 6.0\n", encoding="utf-8")
    matrix, metrics = build_embedding(vocab, path, 42)
    assert matrix.shape == (len(vocab), 2) and matrix.dtype == np.float32
    assert matrix[vocab.index["风"]].tolist() == [1.0, 2.0]
    assert matrix[vocab.index["月"]].tolist() == [3.0, 4.0]  # first exact key wins
    assert metrics["hits"] == 2 and metrics["characters"] == 3 and metrics["hit_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert np.all(matrix[vocab.index["云"]] != 0)
    again, _ = build_embedding(vocab, path, 42)
    assert np.array_equal(matrix, again)


def test_bad_vectors_files(tmp_path):
    vocab = build_vocab(["风云，月。"], 10, "random", 42)
    with pytest.raises(TangshiError, match="vectors file .* not found"):
        build_embedding(vocab, tmp_path / "none.txt", 1)
    (tmp_path / "short.txt").write_text("2 3\n风 1 2 3\n月 1 2\n", encoding="utf-8")
    with pytest.raises(TangshiError, match="line 3 has 2 numbers, expected 3"):
        build_embedding(vocab, tmp_path / "short.txt", 1)
    (tmp_path / "bin.txt").write_bytes(b"\x80\x81\xff\x00binary")
    with pytest.raises(TangshiError, match="is not UTF-8 text"):
        build_embedding(vocab, tmp_path / "bin.txt", 1)
    (tmp_path / "miss.txt").write_text("1 2\n海 1 2\n", encoding="utf-8")
    with pytest.raises(TangshiError, match="no dictionary character has a vector"):
        build_embedding(vocab, tmp_path / "miss.txt", 1)


def test_pretrain_excludes_dev_and_is_deterministic(tmp_path, fixture_records, fixture_corpus):
    dev = {t for _, t in fixture_corpus.large.dev}
    corpus = list(sentences(fixture_records, excluded=dev))
    everything = list(sentences(fixture_records, excluded=set()))
    assert len(everything) - len(corpus) >= len(dev)
    a = train_vectors(corpus, 16, 3, 1, 5, 2, 42, 1)
    b = train_vectors(corpus, 16, 3, 1, 5, 2, 42, 1)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert len(neighbours(a, "山", topn=5)) == 5
    save_word2vec_text(a, tmp_path / "v.txt")
    header, first = (tmp_path / "v.txt").read_text(encoding="utf-8").split("\n")[:2]
    assert header == f"{len(a.wv)} 16" and len(first.split(" ")) == 17
    with pytest.raises(TangshiError, match="no poems left to pretrain on"):
        train_vectors([], 16, 3, 1, 5, 1, 42, 1)
