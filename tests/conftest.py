import shutil
from pathlib import Path

import pytest

from tangshi.corpus import build_corpus, load_json_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "chinese-poetry"


@pytest.fixture(scope="session")
def fixture_corpus(fixture_records):
    return build_corpus(fixture_records, "large", 2300, 42, 0.25)


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory) -> Path:
    """The fixture laid out as the fetch stage lays out data/raw."""
    from tangshi.fetch import fetch

    out = tmp_path_factory.mktemp("raw") / "raw"
    fetch(str(FIXTURE), out)
    return out


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


@pytest.fixture(scope="session")
def fixture_records(raw_dir) -> list[dict]:
    return load_json_folder(raw_dir / "tang")
