"""The V×D embedding matrix from any word2vec text file of character vectors.

Keys are looked up after OpenCC t2s, so traditional-script files such as
`sgns.sikuquanshu.bigram` work; a key already in simplified script wins over
one that only converts to it. Characters without a vector get seeded random
rows scaled like the found ones.
"""

from pathlib import Path

import numpy as np

from ..errors import TangshiError
from .corpus import to_simplified
from .vocab import SPECIALS, Vocab


def read_vectors(path: str | Path, wanted: set[str]) -> tuple[dict[str, np.ndarray], int]:
    """Vectors of the `wanted` tokens (keys compared after t2s) and the file's dimension."""
    found: dict[str, np.ndarray] = {}
    exact: set[str] = set()
    dim = None
    try:
        with open(path, encoding="utf-8", errors="strict") as f:
            for number, line in enumerate(f, 1):
                parts = line.rstrip("\n").rstrip().split(" ")
                if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    dim = int(parts[1])
                    continue
                if len(parts) < 2:
                    continue
                if dim is None:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    raise TangshiError(
                        f"{path} line {number} has {len(parts) - 1} numbers, expected {dim}: "
                        "embed.vectors must be a word2vec text file"
                    )
                key = parts[0]
                simple = key if key in wanted else to_simplified(key)
                if simple not in wanted or simple in exact:
                    continue
                try:
                    found[simple] = np.asarray(parts[1:], dtype=np.float32)
                except ValueError:
                    raise TangshiError(f"{path} line {number} holds a non-number: embed.vectors must be a word2vec text file")
                if key == simple:
                    exact.add(simple)
    except FileNotFoundError:
        raise TangshiError(f"vectors file {path} not found: set embed.vectors to a word2vec text file, or run `dvc repro pretrain`")
    except UnicodeDecodeError as err:
        raise TangshiError(f"{path} is not UTF-8 text ({err}): embed.vectors must be a word2vec text file, not a binary one")
    if dim is None:
        raise TangshiError(f"{path} is empty: set embed.vectors to a word2vec text file")
    return found, dim


def build_embedding(vocab: Vocab, vectors_path: str | Path, seed: int) -> tuple[np.ndarray, dict]:
    found, dim = read_vectors(vectors_path, set(vocab.tokens))
    chars = [t for t in vocab.tokens if t in vocab and t not in SPECIALS]
    hits = sum(c in found for c in chars)
    if not found:
        raise TangshiError(
            f"no dictionary character has a vector in {vectors_path}: is it a file of character vectors?"
        )
    stacked = np.stack(list(found.values()))
    scale = float(stacked.std())
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, scale, size=(len(vocab), dim)).astype(np.float32)
    for token, row in found.items():
        matrix[vocab.index[token]] = row
    metrics = {
        "dim": dim,
        "vocab_size": len(vocab),
        "characters": len(chars),
        "hits": hits,
        "hit_rate": round(hits / len(chars), 5),
        "rows_found": len(found),
    }
    return matrix, metrics
