"""cohesion: what a poem read as a whole is measured by — the characters' document frequencies and the content
characters' co-occurrence over the poet's training text (the verse and the four forms' Tang train splits, never a
dev poem) -> data/cohesion/stats.npz; the real dev poems' and the floor's figures of each form ->
metrics/cohesion.json."""

from tangshi.atomic import write_json
from tangshi.data.corpus import form_folder, read_poems
from tangshi.errors import run_main
from tangshi.forms import FORMS
from tangshi.judge.cohesion import COMMON, WordStats, references
from tangshi.params import load_params


def main() -> None:
    seed = load_params()["seed"]
    text = read_poems("data/verse/poems.txt") + [p for f in FORMS for p in read_poems(form_folder(f) / "train.txt")]
    stats = WordStats.learn(text)
    metrics = {
        "poems": stats.poems, "characters": len(stats.chars), "common_left_out": COMMON,
        "content_characters": stats.content, "content_pairs": int(stats.pairs.nnz // 2),
        "by_form": {f.name: references(stats, read_poems(form_folder(f) / "dev.txt"), seed) for f in FORMS},
    }
    stats.save("data/cohesion/stats.npz")
    write_json("metrics/cohesion.json", metrics)
    print(f"cohesion: {metrics}")


if __name__ == "__main__":
    run_main(main)
