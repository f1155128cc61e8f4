"""pretrain: skip-gram character vectors over Tang+Song poems minus the dev poems of every form (五绝, 七绝,
五律, 七律) and their near-duplicates -> data/vectors/chars.txt. Every character seen pretrain.min_count times
gets a vector: keep it at or below poet_vocab.min_count, so each character of the poet's dictionary has one."""

import time

from tangshi.data.corpus import load_json_folder, read_all_dev_related
from tangshi.data.pretrain import PROBES, neighbours, save_word2vec_text, sentences, train_vectors
from tangshi.errors import run_main
from tangshi.params import load_params


def main() -> None:
    params = load_params()
    cfg = params["pretrain"]
    start = time.perf_counter()
    dev = read_all_dev_related()
    records = load_json_folder("data/raw/tang") + load_json_folder("data/raw/song")
    corpus = list(sentences(records, excluded=dev))
    chars = sum(map(len, corpus))
    print(f"pretrain: {len(corpus)} poems, {chars} characters (dev poems and their near-duplicates removed)")
    model = train_vectors(
        corpus, cfg["dim"], cfg["window"], cfg["min_count"], cfg["negative"], cfg["epochs"], params["seed"], cfg["workers"]
    )
    common = set(model.wv.index_to_key[:3000])
    for char in PROBES:
        print(f"  {char}: {' '.join(neighbours(model, char))}   (top 3000 only: {' '.join(neighbours(model, char, within=common))})")
    save_word2vec_text(model, "data/vectors/chars.txt")
    print(f"pretrain: {len(model.wv)} vectors of {cfg['dim']} dims in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    run_main(main)
