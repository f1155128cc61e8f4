"""From raw 全唐诗 JSON to the 五言律诗 corpus, simplified, deduplicated and split.

A poem is kept when its text (paragraphs joined, converted by OpenCC t2s) is
exactly 8 lines of 5 CJK characters with `，` after odd and `。` after even lines.
The train/dev side of a poem depends only on a hash of its text and the seed,
so a poem never changes side when the corpus grows.
"""

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc

from .errors import TangshiError
from .params import choose

SIZES = ("normal", "large")
LINES, CHARS = 8, 5
POEM_LEN = LINES * (CHARS + 1)  # 48 tokens: 40 characters and 8 punctuation marks
PUNCT = "，。"
# Punctuation that ends a line in the corpus; any other non-CJK symbol rejects the poem.
LINE_END = "，。？！；：、"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_CHAR = re.compile(f"[{_CJK}]")
LINE = re.compile(f"([{_CJK}]*)([{LINE_END}])")
REASONS = ("symbols", "line_count", "line_length", "punctuation")


@lru_cache(maxsize=None)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def is_cjk(char: str) -> bool:
    return CJK_CHAR.fullmatch(char) is not None


def rejection(text: str) -> str | None:
    """Why `text` is not a well-formed 五言律诗, or None when it is."""
    if any(not is_cjk(c) and c not in LINE_END for c in text):
        return "symbols"  # □ for lost characters, brackets, notes, Latin letters
    lines = LINE.findall(text)
    if "".join(body + end for body, end in lines) != text:
        return "symbols"
    if len(lines) != LINES:
        return "line_count"
    if any(len(body) != CHARS for body, _ in lines):
        return "line_length"
    if "".join(end for _, end in lines) != PUNCT * (LINES // 2):
        return "punctuation"
    return None


def poem_lines(poem: str) -> list[str]:
    """The 8 five-character lines of a well-formed poem, without punctuation."""
    return [poem[i : i + CHARS] for i in range(0, POEM_LEN, CHARS + 1)]


def _file_index(path: Path) -> int:
    return int(path.stem.rsplit(".", 1)[-1])


def load_json_folder(folder: str | Path) -> list[dict]:
    """All records of the poet.*.N.json files in `folder`, in the order of N."""
    folder = Path(folder)
    files = sorted(folder.glob("poet.*.json"), key=_file_index)
    if not files:
        raise TangshiError(f"no poet.*.json files in {folder}: run `dvc repro fetch` first")
    records = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise TangshiError(f"{path} is not valid JSON ({err}): run `dvc repro -f fetch` to fetch it again")
        if not isinstance(data, list):
            raise TangshiError(f"{path} is not a list of poems: run `dvc repro -f fetch` to fetch it again")
        records.extend(data)
    return records


def poem_text(record: dict) -> str:
    paragraphs = record.get("paragraphs") or []
    return "".join(p.strip() for p in paragraphs if isinstance(p, str))


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) from the parts (not Python's salted hash())."""
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_dev(text: str, seed: int, dev_share: float) -> bool:
    return unit_hash("split", seed, text) < dev_share


@dataclass
class Corpus:
    train: list[tuple[str, str]]  # (id, poem text)
    dev: list[tuple[str, str]]
    stats: dict


def build_corpus(records: list[dict], size: str, normal_poems: int, seed: int, dev_share: float) -> Corpus:
    choose("corpus.size", size, SIZES)
    if not 0 < dev_share < 1:
        raise TangshiError(f"corpus.dev_share must lie strictly between 0 and 1, not {dev_share}")
    rejected: Counter = Counter()
    seen: set[str] = set()
    kept: list[tuple[str, str]] = []
    duplicates = 0
    for record in records:
        text = to_simplified(poem_text(record))
        reason = rejection(text)
        if reason:
            rejected[reason] += 1
        elif text in seen:
            duplicates += 1
        else:
            seen.add(text)
            kept.append((str(record.get("id", "")), text))
    unique = len(kept)
    if size == "normal" and len(kept) > normal_poems:
        chosen = sorted(kept, key=lambda p: unit_hash("subset", seed, p[1]))[:normal_poems]
        chosen_texts = {text for _, text in chosen}
        kept = [p for p in kept if p[1] in chosen_texts]
    train = [p for p in kept if not is_dev(p[1], seed, dev_share)]
    dev = [p for p in kept if is_dev(p[1], seed, dev_share)]
    if not train or not dev:
        raise TangshiError(
            f"empty {'train' if not train else 'dev'} split after filtering ({len(kept)} poems kept of "
            f"{len(records)} read): the source holds too few 五言律诗; check corpus.source"
        )
    stats = {
        "size": size,
        "poems_read": len(records),
        "regulated_unique": unique,
        "rejected": {reason: rejected.get(reason, 0) for reason in REASONS},
        "duplicates": duplicates,
        "kept": len(kept),
        "train": len(train),
        "dev": len(dev),
    }
    return Corpus(train, dev, stats)


def read_poems(path: str | Path) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run `dvc repro corpus` first")
    return [line for line in lines if line]
