"""verse: every Tang and Song poem in five- or seven-character lines, minus the dev poems of every form and
their near-duplicates -> data/verse/{offsets,forms}.npy, data/verse/poems.txt, metrics/verse.json (with `titles`:
its titled poems and poets; the titles stage writes the titles themselves beside the poems).

The vocab stage encodes it with each dictionary (data/encoded/verse.npy, data/poet_encoded/verse.npy)."""

import numpy as np

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import load_json_folder, read_all_dev_related
from tangshi.data.titles import by_text, counts, lookup
from tangshi.data.verse import build_verse, poem_form, verse_offsets
from tangshi.errors import run_main


def main() -> None:
    excluded = read_all_dev_related()
    records = {d: load_json_folder(f"data/raw/{d}") for d in ("tang", "song")}
    verse = build_verse(records, excluded)
    texts = [t for _, t in verse.poems]
    offsets = verse_offsets(texts)
    with atomic_path("data/verse") as tmp:
        tmp.mkdir()
        np.save(tmp / "offsets.npy", offsets)
        np.save(tmp / "forms.npy", np.array([poem_form(t) for t in texts], dtype=np.int8))
        (tmp / "poems.txt").write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    titles = counts(lookup(texts, by_text(records["tang"] + records["song"]), "verse poems"))
    metrics = {**verse.stats, "tokens": int(offsets[-1]), "titles": titles}
    write_json("metrics/verse.json", metrics)
    print(f"verse: {metrics}")


if __name__ == "__main__":
    run_main(main)
