"""fetch: the raw chinese-poetry JSON that later stages read -> data/raw/."""

import time

from tangshi.data.fetch import fetch
from tangshi.errors import run_main
from tangshi.params import load_params


def main() -> None:
    source = load_params()["corpus"]["source"]
    start = time.perf_counter()
    counts = fetch(source, "data/raw")
    print(f"fetch: {counts} files from {source} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    run_main(main)
