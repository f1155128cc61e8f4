"""Each poem's title and author, beside its text: what a poem is about and whose voice it is in.

Every poem the corpus and verse stages keep came from one source record, which
gives its title and author (traditional script; simplified here as the texts
are). A Tang split's poems carry their record ids (data/corpus/*/*.ids); a
verse poem is found by its text, which is its first record's text simplified
(unique_poems keeps the first of exact duplicates, and the first of a group of
near-duplicates in the same corpus order), so the first record of that text is
the one it came from. Nothing here changes which poems are kept or where they
go: titles and authors are a layer over the splits, for conditioning and for
the voice and subject measures, and never cross a split.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import TangshiError
from .corpus import poem_text, read_poems, to_simplified

UNKNOWN = ""  # a record with no author or no title: kept, counted


@dataclass(frozen=True)
class Meta:
    title: str
    author: str


def clean(field: object) -> str:
    """A title or author as one line of simplified text: whitespace runs become one space, tabs and newlines none."""
    if not isinstance(field, str):
        return UNKNOWN
    return " ".join(to_simplified(field).split())


def record_meta(record: dict) -> Meta:
    return Meta(clean(record.get("title")), clean(record.get("author")))


def by_id(records: Iterable[dict]) -> dict[str, Meta]:
    """Record id -> its title and author."""
    return {str(r.get("id", "")): record_meta(r) for r in records}


def by_text(records: Iterable[dict]) -> dict[str, Meta]:
    """Simplified poem text -> the title and author of the first record with that text."""
    out: dict[str, Meta] = {}
    for record in records:
        out.setdefault(to_simplified(poem_text(record)), record_meta(record))
    return out


def lookup(keys: list[str], table: dict[str, Meta], what: str) -> list[Meta]:
    """The Meta of every key; a key the records do not hold means the inputs do not belong together."""
    missing = [k for k in keys if k not in table]
    if missing:
        raise TangshiError(f"{len(missing)} of {len(keys)} {what} not found in the raw records (first: {missing[0][:40]!r}): "
                           "the corpus is not from this data/raw; run `dvc repro` from the corpus stage")
    return [table[k] for k in keys]


def to_tsv(metas: list[Meta]) -> str:
    """One `title<TAB>author` line a poem, in the poems' order."""
    return "".join(f"{m.title}\t{m.author}\n" for m in metas)


def from_tsv(text: str) -> list[Meta]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 2:
            raise TangshiError(f"line {n} of a titles file is not `title<TAB>author`: run `dvc repro titles`")
        out.append(Meta(*parts))
    return out


def titles_path(folder: str | None = None, split: str | None = None, root: str | Path = "data/titles") -> Path:
    """Where the titles stage wrote the titles of a corpus split, or with no folder, of the verse."""
    return Path(root) / "verse.tsv" if folder is None else Path(root) / folder / f"{split}.tsv"


def read_metas(path: str | Path) -> list[Meta]:
    try:
        return from_tsv(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run `dvc repro titles`")


def read_titled(folder: str, split: str) -> list[tuple[Meta, str]]:
    """(title and author, poem) of every poem of data/corpus/<folder>/<split>.txt, as the titles stage wrote them."""
    path = titles_path(folder, split)
    metas = read_metas(path)
    poems = read_poems(Path("data/corpus") / folder / f"{split}.txt")
    if len(metas) != len(poems):
        raise TangshiError(f"{path} has {len(metas)} lines for {len(poems)} poems: run `dvc repro titles`")
    return list(zip(metas, poems))


def counts(metas: list[Meta]) -> dict:
    """How many poems, how many titled, how many with an author, how many poets."""
    authors = Counter(m.author for m in metas if m.author != UNKNOWN)
    return {
        "poems": len(metas),
        "titled": sum(m.title != UNKNOWN for m in metas),
        "authored": sum(authors.values()),
        "poets": len(authors),
    }


def poets_with(metas: list[Meta], thresholds: Iterable[int]) -> dict[str, int]:
    """How many poets have at least each threshold of poems among `metas`."""
    authors = Counter(m.author for m in metas if m.author != UNKNOWN)
    return {f"at_least_{k}": sum(n >= k for n in authors.values()) for k in thresholds}
