import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tangshi.data.corpus import build_corpus, load_json_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "chinese-poetry"


@pytest.fixture(scope="session")
def fixture_corpus(fixture_records):
    return build_corpus(fixture_records, 2300, 42, 0.25)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory) -> Path:
    """The fixture laid out as the fetch stage lays out data/raw."""
    from tangshi.data.fetch import fetch

    out = tmp_path_factory.mktemp("raw") / "raw"
    fetch(str(FIXTURE), out)
    return out


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


@pytest.fixture(scope="session")
def fixture_records(raw_dir) -> list[dict]:
    return load_json_folder(raw_dir / "tang")


@pytest.fixture(scope="session")
def fixture_verse(raw_dir, fixture_corpus):
    """The verse corpus of the fixture: its Tang and Song five- and seven-character poems minus dev and their twins."""
    from tangshi.data.verse import build_verse

    records = {d: load_json_folder(raw_dir / d) for d in ("tang", "song")}
    return build_verse(records, fixture_corpus.all_dev_related())


@pytest.fixture(scope="session")
def tiny_models(fixture_corpus, raw_dir, tmp_path_factory):
    """A small trained poet of each kind on the fixture, with its vocabulary and a lexicon from fixture strains."""
    from tangshi.data.vocab import build_vocab, encode_all
    from tangshi.judge.meter import annotated_pairs, build_lexicon
    from tangshi.models.checkpoint import load_poet
    from tangshi.models.poet import ModelConfig
    from tangshi.training.trainer import TrainConfig
    from tangshi.training.loop import train_variant
    from tangshi.writing.decode import Constraints

    out = tmp_path_factory.mktemp("decode")
    train = [t for _, t in fixture_corpus.large.train]
    vocab = build_vocab(train, 400, "random", 42)
    emb = np.random.default_rng(0).standard_normal((len(vocab), 16)).astype(np.float32)
    ids, dev = encode_all(vocab, train), encode_all(vocab, [t for _, t in fixture_corpus.large.dev])
    for name, array in (("train", ids), ("dev", dev), ("emb", emb)):
        np.save(out / f"{name}.npy", array)
    inputs = [out / f"{n}.npy" for n in ("train", "dev", "emb")]
    poets = {}
    for variant, cfg in (("numpy", ModelConfig("numpy", 1, 32, 0.0)), ("single", ModelConfig("torch", 1, 32, 0.1))):
        train_variant(variant, cfg, TrainConfig(epochs=2, lr=0.005, batch_size=32), 42, vocab, ids, dev, emb,
                      inputs, out / "models" / variant, out / "dvclive" / variant, progress=False)
        poets[variant] = load_poet(out / "models" / variant, vocab, "cpu")[0]
    # a poet of every form: each form's Tang train split, led by the form's token (as stages/train.py does)
    from tangshi.forms import FORMS, WULV, form_token_id, with_start

    splits = {f: fixture_corpus.large if f == WULV else fixture_corpus.forms[f.name].split for f in FORMS}
    sets = {part: [with_start(encode_all(vocab, [t for _, t in getattr(splits[f], part)]), form_token_id(len(vocab), f)) for f in FORMS]
            for part in ("train", "dev")}
    # the poet reads through its own dictionary (every character of its train splits seen twice, and <oov>) and
    # writes through the adaptive output layer, and reads the aligned character of a couplet's first line, as the
    # pipeline's poet does
    from tangshi.data.vocab import build_poet_vocab

    poet_vocab = build_poet_vocab([t for f in FORMS for _, t in splits[f].train], 2, 42)
    sets = {part: [with_start(encode_all(poet_vocab, [t for _, t in getattr(splits[f], part)]), form_token_id(len(poet_vocab), f))
                   for f in FORMS] for part in ("train", "dev")}
    poet_emb = np.random.default_rng(1).standard_normal((len(poet_vocab), 16)).astype(np.float32)
    # and it is told each poem's poet and title words, as the pipeline's poet is
    from tangshi.data.conditions import ConditionConfig, build_conditions
    from tangshi.data.titles import by_id

    from tangshi.judge.parallel import learn

    lvshi = [t for _, t in fixture_corpus.large.train] + [t for _, t in fixture_corpus.forms["七律"].split.train]
    parallel = learn(lvshi, 2, 20, 0.8, 42)  # 对仗 from the fixture's train 律诗, as stages/parallel.py does
    parallel.save(out / "pairs.npz")
    # a keyword a line, from the poet's train text (as stages/keywords.py learns them), and the planner
    from tangshi.data.conditions import keyword_ids
    from tangshi.data.keywords import learn as learn_keywords
    from tangshi.writing.plan import learn_planner

    poet_text = [t for f in FORMS for _, t in splits[f].train]
    keywords = learn_keywords(poet_text, parallel, 300, 2, 1.0, {poet_vocab.tokens[i] for i in poet_vocab.char_ids})
    keywords.save(out / "keywords" / "keywords.json")
    planner = learn_planner(keywords, poet_text, 2, 0.1)
    planner.save(out / "keywords" / "planner.npz")
    metas = by_id(load_json_folder(raw_dir / "tang"))
    train_metas = [[metas[i] for i, _ in splits[f].train] for f in FORMS]
    plans = [[keyword_ids(keywords.of_poem(t), poet_vocab) for _, t in splits[f].train] for f in FORMS]
    told = {"min_poems": 2, "title_chars": 4, "title_words": 60, "blank": 0.25, "keywords": True}
    conditions = build_conditions(ConditionConfig(**told), [m for part in train_metas for m in part], poet_vocab)
    cfg = ModelConfig("torch", 1, 32, 0.1, corpus="forms", embedding="finetune", dictionary="poet", output="adaptive", shortlist=100,
                      aligned=True, condition=told)
    train_variant("poet", cfg, TrainConfig(epochs=2, lr=0.005, batch_size=32), 42, poet_vocab, sets["train"], sets["dev"],
                  poet_emb, inputs, out / "models" / "poet", out / "dvclive" / "poet", progress=False,
                  conditions=conditions, train_conditions=[conditions.encode_all(m, p) for m, p in zip(train_metas, plans)])
    (out / "poet_vocab.json").write_text(json.dumps(poet_vocab.to_json(), ensure_ascii=False), encoding="utf-8")
    poets["poet"] = load_poet(out / "models" / "poet", poet_vocab, "cpu")[0]
    strains = {r["id"]: r for r in load_json_folder(raw_dir / "strains")}
    lexicon = build_lexicon(annotated_pairs(load_json_folder(raw_dir / "tang"), strains))
    (out / "vocab.json").write_text(json.dumps(vocab.to_json(), ensure_ascii=False), encoding="utf-8")
    (out / "tones.json").write_text(json.dumps(lexicon.to_json(), ensure_ascii=False), encoding="utf-8")
    return {"out": out, "vocab": vocab, "poets": poets, "lexicon": lexicon, "constraints": Constraints(vocab, lexicon),
            "parallel": parallel, "poet_vocab": poet_vocab, "poet_constraints": Constraints(poet_vocab, lexicon),
            "metas": metas, "splits": splits, "keywords": keywords, "planner": planner}


@pytest.fixture(scope="session")
def word_stats(fixture_verse, fixture_corpus, tmp_path_factory):
    """The fixture poet text's word statistics (its verse and Tang train splits, no dev poem), saved as the cohesion
    stage saves them, with the references of its 五律 dev poems: (stats, stats path, references path)."""
    from tangshi.judge.cohesion import WordStats, references
    from tangshi.forms import WULV

    stats = WordStats.learn([text for _, text in fixture_verse.poems] + [t for _, t in fixture_corpus.large.train])
    out = tmp_path_factory.mktemp("cohesion")
    stats.save(out / "stats.npz")
    refs = {WULV.name: references(stats, [t for _, t in fixture_corpus.large.dev], 42)}
    (out / "cohesion.json").write_text(json.dumps({"by_form": refs}, ensure_ascii=False), encoding="utf-8")
    return stats, out / "stats.npz", out / "cohesion.json"
