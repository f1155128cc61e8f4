"""vocab: the two dictionaries and everything encoded with each.

The shared dictionary (the report's: the commonest characters of the normal training split) -> data/vocab.json,
and with it data/encoded/{normal,large,wujue,qijue,qilv}/{train,dev}.npy and data/encoded/verse.npy. The poet's
dictionary (every character of the verse corpus and the Tang train splits seen poet_vocab.min_count times, and
<oov>) -> data/poet_vocab.json, and with it data/poet_encoded/…, the same files and oov_chars.json (the
characters <oov> stands for, with their counts). Both -> metrics/vocab.json.
"""

import numpy as np

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import SETS, read_poems
from tangshi.data.verse import encode_verse
from tangshi.data.vocab import Vocab, build_poet_vocab, build_vocab, encode_all, oov_rate, rare_characters
from tangshi.errors import run_main
from tangshi.forms import FORMS, WULV
from tangshi.params import load_params


def encode(vocab: Vocab, folder: str, poems: dict, verse: list[str], own_text: list[str] | None = None) -> None:
    with atomic_path(folder) as tmp:
        for (name, split), texts in poems.items():
            (tmp / name).mkdir(parents=True, exist_ok=True)
            np.save(tmp / name / f"{split}.npy", encode_all(vocab, texts))
        np.save(tmp / "verse.npy", encode_verse(vocab, verse))
        if own_text is not None:  # what `<oov>` stands for: folding the poet's perplexity onto the shared dictionary
            write_json(tmp / "oov_chars.json", rare_characters(own_text, vocab))


def coverage(vocab: Vocab, poems: dict, verse: list[str]) -> dict:
    """The share of characters each dictionary misses: in its training text, the verse and every dev split."""
    return {
        "oov_rate_train": round(oov_rate(vocab, poems["normal", "train"]), 5),
        "oov_rate_dev": round(oov_rate(vocab, poems["normal", "dev"]), 5),
        "oov_rate_large_train": round(oov_rate(vocab, poems["large", "train"]), 5),
        "oov_rate_large_dev": round(oov_rate(vocab, poems["large", "dev"]), 5),
        **{f"oov_rate_{f.key}_dev": round(oov_rate(vocab, poems[f.key, "dev"]), 5) for f in FORMS if f != WULV},
        "oov_rate_verse": round(oov_rate(vocab, verse), 5),
    }


def main() -> None:
    params = load_params()
    cfg = params["vocab"]
    folders = list(SETS) + [f.folder for f in FORMS if f != WULV]  # the shared dictionary stays the normal 五律 set's
    poems = {(name, split): read_poems(f"data/corpus/{name}/{split}.txt") for name in folders for split in ("train", "dev")}
    verse = read_poems("data/verse/poems.txt")
    vocab = build_vocab(poems["normal", "train"], cfg["size"], cfg["oov"], params["seed"])
    # The poet's own text: the verse corpus and the Tang train splits of the four forms, never a dev split.
    poet_text = verse + [t for f in FORMS for t in poems[f.folder, "train"]]
    poet_vocab = build_poet_vocab(poet_text, params["poet_vocab"]["min_count"], params["seed"])
    encode(vocab, "data/encoded", poems, verse)
    encode(poet_vocab, "data/poet_encoded", poems, verse, poet_text)
    write_json("data/vocab.json", vocab.to_json())
    write_json("data/poet_vocab.json", poet_vocab.to_json())
    metrics = {
        "size": len(vocab), "characters": len(vocab.char_ids), "oov": cfg["oov"], **coverage(vocab, poems, verse),
        "poet": {
            "size": len(poet_vocab), "characters": len(poet_vocab.char_ids), "min_count": params["poet_vocab"]["min_count"],
            "oov_rate_own_text": round(oov_rate(poet_vocab, poet_text), 5), **coverage(poet_vocab, poems, verse),
        },
    }
    write_json("metrics/vocab.json", metrics)
    print(f"vocab: {metrics}")


if __name__ == "__main__":
    run_main(main)
