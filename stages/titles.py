"""titles: the title and author of every poem the corpus and verse stages kept -> data/titles/<set>/<split>.tsv
(beside data/corpus/<set>/<split>.txt, one `title<TAB>author` line a poem) and data/titles/verse.tsv (beside
data/verse/poems.txt); metrics/titles.json counts the poets of the poet's training text (the verse and the four
forms' Tang train splits; each split's and the verse's own counts are in metrics/corpus.json and metrics/verse.json)."""

from collections import Counter
from pathlib import Path

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import load_json_folder, read_poems
from tangshi.data.titles import by_id, by_text, counts, lookup, poets_with, to_tsv
from tangshi.errors import run_main
from tangshi.forms import FORMS

THRESHOLDS = (20, 50, 100)  # poems per poet in the poet's training text: where a poet token might start
TOP = 20  # the poets with the most poems in that text, named in the metrics


def main() -> None:
    tang, song = load_json_folder("data/raw/tang"), load_json_folder("data/raw/song")
    ids = by_id(tang)
    poet_text = []  # the verse and the Tang train splits of the four forms: what the poet learns from
    with atomic_path("data/titles") as tmp:
        for folder in sorted(p for p in Path("data/corpus").iterdir() if p.is_dir()):
            (tmp / folder.name).mkdir(parents=True)
            for path in sorted(folder.glob("*.ids")):
                keys = read_poems(path)
                metas = lookup(keys, ids, f"record ids of {path}")
                (tmp / folder.name / f"{path.stem}.tsv").write_text(to_tsv(metas), encoding="utf-8")
                if path.stem == "train" and folder.name in {f.folder for f in FORMS}:
                    poet_text += metas
        verse = lookup(read_poems("data/verse/poems.txt"), by_text(tang + song), "verse poems")
        (tmp / "verse.tsv").write_text(to_tsv(verse), encoding="utf-8")
    poet_text += verse
    poets = Counter(m.author for m in poet_text if m.author)
    metrics = {"poet_text": {**counts(poet_text), **poets_with(poet_text, THRESHOLDS), "top": dict(poets.most_common(TOP))}}
    write_json("metrics/titles.json", metrics)
    print(f"titles: {metrics}")


if __name__ == "__main__":
    run_main(main)
