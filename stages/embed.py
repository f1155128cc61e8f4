"""embed: the embedding matrix for the dictionary -> data/embedding.npy, metrics/embedding.json."""

from tangshi.atomic import save_npy, write_json
from tangshi.data.embed import build_embedding
from tangshi.data.vocab import Vocab
from tangshi.errors import run_main
from tangshi.params import load_params


def main() -> None:
    params = load_params()
    matrix, metrics = build_embedding(Vocab.load("data/vocab.json"), params["embed"]["vectors"], params["seed"])
    save_npy("data/embedding.npy", matrix)
    write_json("metrics/embedding.json", metrics)
    print(f"embed: {metrics}")


if __name__ == "__main__":
    run_main(main)
