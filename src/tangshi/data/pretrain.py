"""Character vectors by skip-gram with negative sampling over Tang and Song poems.

The recipe of the Chinese-Word-Vectors release (SGNS, 300 dimensions), at the
character level. Every dev poem of every form (the 五律 sets, 五绝, 七绝 and
七律), and every poem that near-duplicates one (dedup.py), is removed first,
so the vectors have never seen a poem that any dev perplexity is measured on.
"""

import zlib
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from gensim.models import Word2Vec

from ..atomic import atomic_path
from ..errors import TangshiError
from .corpus import is_cjk, poem_text, text_lines, to_simplified
from .dedup import LineIndex

PROBES = "月山春"


def sentences(records: Iterable[dict], excluded: Iterable[str]) -> Iterator[list[str]]:
    """Each poem as its list of CJK characters (simplified), skipping the excluded texts and their near-duplicates."""
    guard = LineIndex(text_lines(t) for t in excluded)
    for record in records:
        text = to_simplified(poem_text(record))
        if text and not guard.near(text_lines(text)):
            chars = [c for c in text if is_cjk(c)]
            if chars:
                yield chars


def stable_hash(text: str) -> int:
    # gensim seeds each vector with hashfxn(word + seed); Python's hash() is salted per process.
    return zlib.crc32(text.encode("utf-8"))


def train_vectors(
    corpus: list[list[str]], dim: int, window: int, min_count: int, negative: int, epochs: int, seed: int, workers: int
) -> Word2Vec:
    if not corpus:
        raise TangshiError("no poems left to pretrain on after removing dev poems: check corpus.source")
    return Word2Vec(
        sentences=corpus,
        vector_size=dim,
        window=window,
        min_count=min_count,
        sg=1,
        negative=negative,
        sample=1e-4,
        epochs=epochs,
        seed=seed,
        workers=workers,
        hashfxn=stable_hash,
    )


def neighbours(model: Word2Vec, char: str, topn: int = 8, within: set[str] | None = None) -> list[str]:
    """Nearest characters to `char` by cosine, optionally only those in `within`."""
    if char not in model.wv:
        return []
    candidates = model.wv.most_similar(char, topn=topn * 20 if within else topn)
    return [c for c, _ in candidates if within is None or c in within][:topn]


def save_word2vec_text(model: Word2Vec, path: str | Path) -> None:
    """Write vectors in the word2vec text format (header `count dim`, then `char v1 … vd`)."""
    wv = model.wv
    vectors = wv.vectors.astype(np.float32)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{len(wv.index_to_key)} {wv.vector_size}\n")
            for key, row in zip(wv.index_to_key, vectors):
                f.write(key + " " + " ".join(f"{x:.6f}" for x in row) + "\n")
