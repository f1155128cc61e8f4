"""Saving and loading trained poets: weights as plain tensors (loaded with weights_only=True) plus config.json."""

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from ..atomic import atomic_path
from ..data.conditions import Conditions
from ..data.vocab import Vocab, dictionary_path
from ..errors import TangshiError
from .poet import ModelConfig, build_poet, resolve_device


CONDITIONS = "conditions.json"  # beside config.json: the poets and title words a conditioned model is told


def save_torch(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_torch(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TangshiError(f"checkpoint {path} not found: train the model first (`dvc repro`)")
    except Exception as err:  # truncated, foreign or tampered file
        raise TangshiError(f"corrupt checkpoint {path} ({type(err).__name__}): delete it and train again")


def load_poet(model_dir: str | Path, vocab: Vocab | str | Path = "data/vocab.json", device: str = "auto"):
    """The best weights of a trained variant and its config; `poet.vocab` is the dictionary it reads through.

    `vocab` is that dictionary, or the shared dictionary's file: a model of the poet's own dictionary finds
    its file beside that one (data/vocab.py: dictionary_path). A checkpoint made for another dictionary is refused.
    """
    model_dir = Path(model_dir)
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TangshiError(f"{model_dir} holds no trained model (config.json missing): run `dvc repro` first")
    except json.JSONDecodeError as err:
        raise TangshiError(f"corrupt {model_dir / 'config.json'} ({err}): retrain the model")
    if isinstance(vocab, Vocab):
        path = "the dictionary given"
    else:
        path = dictionary_path(vocab, config.get("dictionary", "shared"))
        vocab = Vocab.load(path)
    if config.get("vocab_digest") != vocab.digest():
        raise TangshiError(
            f"{model_dir} was trained with another dictionary ({config.get('vocab_digest')}) than {path} "
            f"({vocab.digest()}): retrain it (`dvc repro train@{config.get('variant', model_dir.name)}`) or use the "
            "dictionary it was trained with"
        )
    model_cfg = ModelConfig(**{f.name: config[f.name] for f in fields(ModelConfig) if f.name in config})
    placeholder = np.zeros((config["vocab_size"], config["embed_dim"]), np.float32)  # overwritten by the weights
    conditions = Conditions.load(model_dir / CONDITIONS) if model_cfg.condition is not None else None
    poet = build_poet(model_cfg, placeholder, 0, config["embedding"], config["forget_bias"], resolve_device(device),
                      conditions)
    weights = load_torch(model_dir / "best.pt")
    try:
        poet.load_weights(weights)
    except (KeyError, RuntimeError, ValueError) as err:
        raise TangshiError(f"corrupt checkpoint {model_dir / 'best.pt'} (weights do not fit config.json: {err}): retrain")
    poet.vocab = vocab
    return poet, config
