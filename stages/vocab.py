"""vocab: the dictionary of the normal training split, and both Tang 五律 sets and the Tang 五绝, 七绝 and
七律 encoded with it -> data/vocab.json, data/encoded/{normal,large,wujue,qijue,qilv}/{train,dev}.npy,
metrics/vocab.json."""

import numpy as np

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import SETS, read_poems
from tangshi.data.vocab import build_vocab, encode_all, oov_rate
from tangshi.errors import run_main
from tangshi.forms import FORMS, WULV
from tangshi.params import load_params


def main() -> None:
    params = load_params()
    cfg = params["vocab"]
    folders = list(SETS) + [f.folder for f in FORMS if f != WULV]  # the dictionary stays the normal 五律 set's
    poems = {(name, split): read_poems(f"data/corpus/{name}/{split}.txt") for name in folders for split in ("train", "dev")}
    vocab = build_vocab(poems["normal", "train"], cfg["size"], cfg["oov"], params["seed"])
    with atomic_path("data/encoded") as tmp:
        for (name, split), texts in poems.items():
            (tmp / name).mkdir(parents=True, exist_ok=True)
            np.save(tmp / name / f"{split}.npy", encode_all(vocab, texts))
    write_json("data/vocab.json", vocab.to_json())
    metrics = {
        "size": len(vocab),
        "characters": len(vocab.char_ids),
        "oov": cfg["oov"],
        "oov_rate_train": round(oov_rate(vocab, poems["normal", "train"]), 5),
        "oov_rate_dev": round(oov_rate(vocab, poems["normal", "dev"]), 5),
        "oov_rate_large_train": round(oov_rate(vocab, poems["large", "train"]), 5),
        "oov_rate_large_dev": round(oov_rate(vocab, poems["large", "dev"]), 5),
        **{f"oov_rate_{f.key}_dev": round(oov_rate(vocab, poems[f.key, "dev"]), 5) for f in FORMS if f != WULV},
    }
    write_json("metrics/vocab.json", metrics)
    print(f"vocab: {metrics}")


if __name__ == "__main__":
    run_main(main)
