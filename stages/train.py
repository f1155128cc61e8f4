"""train@V: train one model variant -> models/V/ (checkpoints, config), dvclive/V/ (curves)."""

import sys
from pathlib import Path

import numpy as np

from tangshi.data.batching import cut_pieces
from tangshi.data.conditions import ConditionConfig, build_conditions, keyword_ids
from tangshi.data.corpus import read_poems
from tangshi.data.keywords import KEYWORDS, Keywords
from tangshi.data.titles import read_metas, titles_path
from tangshi.data.vocab import DICTIONARIES, EMBEDDINGS, ENCODED, Vocab
from tangshi.errors import TangshiError, run_main
from tangshi.forms import FORMS, form_token_id, verse_with_form_tokens, with_start
from tangshi.models.poet import ModelConfig
from tangshi.params import load_params
from tangshi.training.distributed import launched_by_torchrun, relaunch
from tangshi.training.loop import train_variant
from tangshi.training.trainer import TrainConfig

VERSE_SHAPE = [Path("data/verse/offsets.npy"), Path("data/verse/forms.npy")]


def line_keywords(keywords: Keywords, path: Path, poems: int, vocab: Vocab) -> list[np.ndarray]:
    """Each poem's (lines, 2) keyword ids, the poems of `path` in the encoded order (`poems` of them)."""
    text = read_poems(path)
    if len(text) != poems:
        raise TangshiError(f"{path} has {len(text)} poems for {poems} encoded ones: run `dvc repro vocab`")
    return [keyword_ids(keywords.of_poem(poem), vocab) for poem in text]


def main() -> None:
    params = load_params()
    variant = sys.argv[1]
    models = params["models"]
    if variant not in models:
        raise TangshiError(f"unknown variant {variant!r}: choose one of {', '.join(models)}")
    processes = params["train"]["processes"]
    if processes > 1 and not launched_by_torchrun():
        relaunch(processes, [__file__, variant])
    model = ModelConfig(**models[variant])
    data = Path("data")
    vocab = Vocab.load(data / DICTIONARIES[model.dictionary])  # the shared dictionary or the poet's own
    encoded, embedding_path = data / ENCODED[model.dictionary], data / EMBEDDINGS[model.dictionary]
    forms = FORMS if model.corpus == "forms" else None  # a poet of every form: each poem led by its form's token
    folders = [f.folder for f in forms] if forms else [model.corpus]
    inputs = [encoded / folder / f"{split}.npy" for split in ("train", "dev") for folder in folders] + [embedding_path]
    arrays = [np.load(p) for p in inputs[:-1]]
    if forms:
        arrays = [with_start(a, form_token_id(len(vocab), f)) for a, f in zip(arrays, forms + forms)]
    train_ids, dev_ids = arrays[: len(folders)], arrays[len(folders) :]
    embedding = np.load(embedding_path)
    verse = conditions = told = verse_told = None
    if model.condition is not None:  # each training poem's poet and title words, from the training text alone
        paths = [titles_path(folder, "train") for folder in folders] + ([titles_path()] if model.verse_epochs else [])
        inputs += paths
        metas = [read_metas(p) for p in paths]
        config = ConditionConfig(**model.condition)
        conditions = build_conditions(config, [m for part in metas for m in part], vocab)
        plans = [None] * len(metas)  # the verse is told no plan: its epochs are the language model's alone
        if config.keywords:  # each Tang training line's keyword: the plan the plan head learns to write to
            keywords = Keywords.load(KEYWORDS)
            texts = [Path("data/corpus") / folder / "train.txt" for folder in folders]
            inputs += [KEYWORDS] + texts
            plans[: len(texts)] = [line_keywords(keywords, path, len(a), vocab) for path, a in zip(texts, train_ids)]
        told = [conditions.encode_all(part, plan) for part, plan in zip(metas, plans)]
        verse_told = told.pop() if model.verse_epochs else None
        for rows, array, path in zip(told, train_ids, paths):
            if len(rows) != len(array):
                raise TangshiError(f"{path} has {len(rows)} poems for {len(array)} encoded ones: run `dvc repro titles`")
        print(f"train@{variant}: told {len(conditions.poets)} poets (>= {model.condition['min_poems']} poems) and "
              f"{len(conditions.words)} title words")
    if model.verse_epochs:
        inputs += [encoded / "verse.npy"] + VERSE_SHAPE
        ids, offsets, shapes = (np.load(p) for p in inputs[-3:])
        if verse_told is not None and len(verse_told) != len(offsets) - 1:
            raise TangshiError(f"{titles_path()} has {len(verse_told)} poems for {len(offsets) - 1} verse poems: "
                               "run `dvc repro titles`")
        verse = cut_pieces(verse_with_form_tokens(ids, offsets, shapes, len(vocab)) if forms else ids, offsets, verse_told)
    train = dict(params["train"])
    seed = train.pop("seed")  # initialisation, shuffling, dropout: the data stages keep the global seed
    summary = train_variant(
        variant, model, TrainConfig(**train), seed,
        vocab, train_ids, dev_ids, embedding, inputs,
        Path("models") / variant, Path("dvclive") / variant, verse=verse,
        conditions=conditions, train_conditions=told,
    )
    print(f"train@{variant}: {summary}")


if __name__ == "__main__":
    run_main(main)
