"""embed: the embedding matrix of each dictionary -> data/embedding.npy (shared), data/poet_embedding.npy (the
poet's), metrics/embedding.json."""

from tangshi.atomic import save_npy, write_json
from tangshi.data.embed import build_embedding
from tangshi.data.vocab import Vocab
from tangshi.errors import run_main
from tangshi.params import load_params


def main() -> None:
    params = load_params()
    vectors, seed = params["embed"]["vectors"], params["seed"]
    matrix, metrics = build_embedding(Vocab.load("data/vocab.json"), vectors, seed)
    poet_matrix, metrics["poet"] = build_embedding(Vocab.load("data/poet_vocab.json"), vectors, seed)
    save_npy("data/embedding.npy", matrix)
    save_npy("data/poet_embedding.npy", poet_matrix)
    write_json("metrics/embedding.json", metrics)
    print(f"embed: {metrics}")


if __name__ == "__main__":
    run_main(main)
