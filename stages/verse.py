"""verse: every Tang and Song poem in five- or seven-character lines, minus the dev poems of every form and
their near-duplicates, encoded -> data/verse/{ids,offsets,forms}.npy, data/verse/poems.txt, metrics/verse.json."""

import numpy as np

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import load_json_folder, read_all_dev_related
from tangshi.data.verse import build_verse, encode_verse, poem_form
from tangshi.data.vocab import Vocab, oov_rate
from tangshi.errors import run_main


def main() -> None:
    vocab = Vocab.load("data/vocab.json")
    excluded = read_all_dev_related()
    records = {d: load_json_folder(f"data/raw/{d}") for d in ("tang", "song")}
    verse = build_verse(records, excluded)
    texts = [t for _, t in verse.poems]
    ids, offsets = encode_verse(vocab, texts)
    with atomic_path("data/verse") as tmp:
        tmp.mkdir()
        np.save(tmp / "ids.npy", ids)
        np.save(tmp / "offsets.npy", offsets)
        np.save(tmp / "forms.npy", np.array([poem_form(t) for t in texts], dtype=np.int8))
        (tmp / "poems.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    metrics = {**verse.stats, "tokens": int(offsets[-1]), "oov_rate": round(oov_rate(vocab, texts), 5)}
    write_json("metrics/verse.json", metrics)
    print(f"verse: {metrics}")


if __name__ == "__main__":
    run_main(main)
