"""corpus: 五言律诗 from the raw Tang JSON -> data/corpus/{train,dev}.{txt,ids}, metrics/corpus.json."""

from tangshi.atomic import atomic_path, write_json
from tangshi.corpus import build_corpus, load_json_folder
from tangshi.errors import run_main
from tangshi.params import load_params


def main() -> None:
    params = load_params()
    cfg = params["corpus"]
    corpus = build_corpus(
        load_json_folder("data/raw/tang"), cfg["size"], cfg["normal_poems"], params["seed"], cfg["dev_share"]
    )
    with atomic_path("data/corpus") as tmp:
        tmp.mkdir()
        for split, poems in (("train", corpus.train), ("dev", corpus.dev)):
            (tmp / f"{split}.txt").write_text("".join(t + "\n" for _, t in poems), encoding="utf-8")
            (tmp / f"{split}.ids").write_text("".join(i + "\n" for i, _ in poems), encoding="utf-8")
    write_json("metrics/corpus.json", corpus.stats)
    print(f"corpus: {corpus.stats}")


if __name__ == "__main__":
    run_main(main)
