"""The two primers of the corpus's 蒙学 folder the judge is validated on (never trained on):

  唐诗三百首 (data/raw/mengxue/tangshisanbaishou.json): its poems by section (五言絕句 … 樂府), as printed —
      traditional script, ？ and ！ at line ends, notes in brackets: read them with data/pasted.read_pasted;
  声律启蒙 (data/raw/mengxue/shenglvqimeng.json): the primer of 对仗, whose every stanza pairs single
      characters (云对雨), two-character words (晚照对晴空's 晚照/晴空 …) and whole couplets of 3, 5, 7 and
      11 characters.
"""

import json
import re
from pathlib import Path

from .corpus import to_simplified
from ..errors import TangshiError

TANGSHI_300 = "tangshisanbaishou.json"
SHENGLV = "shenglvqimeng.json"
CLAUSES = re.compile(r"[，。；！？]")


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TangshiError(f"{path} not found: run `dvc repro fetch` (the corpus's mengxue folder)")
    except json.JSONDecodeError as err:
        raise TangshiError(f"corrupt {path} ({err}): run `dvc repro -f fetch`")


def tangshi_300(folder: str | Path) -> list[tuple[str, str, str]]:
    """(section, title, text as printed: its paragraphs one a line) for every poem of 唐诗三百首."""
    data = read_json(Path(folder) / TANGSHI_300)
    return [(section["type"], poem["chapter"], "\n".join(poem["paragraphs"]))
            for section in data["content"] for poem in section["content"]]


def shenglv_pairs(folder: str | Path) -> dict[str, list[tuple[str, str]]]:
    """声律启蒙's pairs, simplified: "chars" (云/雨), "words" (two characters each, 晚照/晴空) from its "X对Y"
    clauses, and "couplets5" and "couplets7" (its five- and seven-character couplets: two clauses of that
    length in a row without 对)."""
    data = read_json(Path(folder) / SHENGLV)
    out = {"chars": [], "words": [], "couplets5": [], "couplets7": []}
    for volume in data["content"]:
        for chapter in volume["content"]:
            for paragraph in chapter["paragraphs"]:
                clauses = [c for c in CLAUSES.split(to_simplified(paragraph)) if c]
                k = 0
                while k < len(clauses):
                    clause = clauses[k]
                    if "对" in clause:
                        a, _, b = clause.partition("对")
                        if len(a) == len(b) == 1:
                            out["chars"].append((a, b))
                        elif len(a) == len(b) == 2:
                            out["words"].append((a, b))
                        k += 1
                    elif k + 1 < len(clauses) and len(clause) == len(clauses[k + 1]) in (5, 7) and "对" not in clauses[k + 1]:
                        out[f"couplets{len(clause)}"].append((clause, clauses[k + 1]))
                        k += 2
                    else:
                        k += 1
    return out
