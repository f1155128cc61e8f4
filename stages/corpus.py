"""corpus: 五言律诗 from the raw Tang JSON -> data/corpus/{normal,large}/{train,dev}.{txt,ids},
data/corpus/large/dev_twins.txt (variant readings of large dev poems); the Tang 五绝, 七绝 and 七律 ->
data/corpus/{wujue,qijue,qilv}/{train,dev,dev_twins}.{txt,ids}; metrics/corpus.json (with `titles`: each split's
titled poems and poets; the titles stage writes the titles themselves beside the splits)."""

from tangshi.atomic import atomic_path, write_json
from tangshi.data.corpus import build_corpus, load_json_folder
from tangshi.data.titles import by_id, counts, lookup
from tangshi.errors import run_main
from tangshi.forms import get_form
from tangshi.params import load_params


def write_poems(folder, name: str, poems: list[tuple[str, str]], written: dict) -> None:
    written[f"{folder.name}/{name}"] = [i for i, _ in poems]
    (folder / f"{name}.txt").write_text("".join(t + "\n" for _, t in poems), encoding="utf-8")
    (folder / f"{name}.ids").write_text("".join(i + "\n" for i, _ in poems), encoding="utf-8")


def main() -> None:
    params = load_params()
    cfg = params["corpus"]
    records = load_json_folder("data/raw/tang")
    corpus = build_corpus(records, cfg["normal_poems"], params["seed"], cfg["dev_share"])
    written: dict[str, list[str]] = {}  # "<folder>/<split>" -> its poems' record ids
    with atomic_path("data/corpus") as tmp:
        for name, split in corpus.sets.items():
            (tmp / name).mkdir(parents=True)
            write_poems(tmp / name, "train", split.train, written)
            write_poems(tmp / name, "dev", split.dev, written)
        write_poems(tmp / "large", "dev_twins", corpus.dev_twins, written)
        for name, form_set in corpus.forms.items():
            folder = tmp / get_form(name).folder
            folder.mkdir()
            write_poems(folder, "train", form_set.split.train, written)
            write_poems(folder, "dev", form_set.split.dev, written)
            write_poems(folder, "dev_twins", form_set.dev_twins, written)
    ids = by_id(records)
    titles = {k: counts(lookup(keys, ids, f"record ids of {k}")) for k, keys in sorted(written.items())}
    write_json("metrics/corpus.json", {**corpus.stats, "titles": titles})
    print(f"corpus: {corpus.stats}, titles: {titles}")


if __name__ == "__main__":
    run_main(main)
