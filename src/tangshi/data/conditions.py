"""What a poem is told before it is written: its poet, and the words of its title that carry a subject.

The poet knows the poets with at least `min_poems` poems in its training text
(the verse and the four forms' Tang train splits) by a row each; every other
poet, and a poem told no poet, shares row ANY_POET. A title is read as its
characters that are among the `title_words` commonest title characters of that
text (送 秋 夜 寺 登 …: most titles are otherwise unique names, places and
occasions, which would only help a model recall its training poems), in order,
each once, at most `title_chars` of them. Numbers and 首 count a title's poems
and never say what they are about. The table is learned from training text
alone, saved beside the model (models/<V>/conditions.json), and encodes any
title and poet, a dev poem's or a user's, as one row of ids:
[poet row, title word rows …, NO_TITLE padding]. Title words have vectors of
their own (models/lstm.py), not the characters' embedding: a title's subject
is learned apart from how its characters are written.

A poet told a plan (`keywords`) also reads one keyword a line (data/keywords.py):
the row goes on with LINE_SLOTS pairs of character ids, the keyword of each line
(a single character's second id NO_KEYWORD, a line told nothing both), which
its plan head reads (models/plan_head.py).
"""

import difflib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..atomic import write_json
from ..errors import TangshiError
from .corpus import is_cjk
from .titles import UNKNOWN, Meta
from .vocab import Vocab

ANY_POET = 0  # the row of a poet the model does not know, and of a poem told no poet
NO_TITLE = -1  # pads a row's title ids; a row of NO_TITLE alone is a poem told no title
NOT_SUBJECTS = frozenset("一二三四五六七八九十百千首")  # they count a title's poems
POET_DIM = 64  # the width of a poet's own vector (models/lstm.py)
NO_KEYWORD = -1  # pads a line's keyword ids; a line whose both are NO_KEYWORD is told nothing
KEYWORD_CHARS = 2  # ids a line's keyword takes: a character or a two-character word
LINE_SLOTS = 10  # lines a row tells: a told poem is a Tang poem of at most 8 lines (the verse is told no plan)


@dataclass
class ConditionConfig:
    """models.<V>.condition in params.yaml: how a poet is told titles and poets (absent: it is not)."""

    min_poems: int = 20  # poets with at least this many poems in the training text get a row of their own
    title_chars: int = 8  # at most this many of a title's characters are read
    title_words: int = 300  # the commonest title characters read (0: every character in the dictionary)
    blank: float = 0.25  # share of training poems told no poet; as many again, drawn apart, told no title
    keywords: bool = False  # told each line's keyword (a plan; models/plan_head.py)

    def __post_init__(self):
        for name in ("min_poems", "title_chars", "title_words"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if name == "title_words" else 1):
                raise TangshiError(f"condition.{name} must be a whole number >= {0 if name == 'title_words' else 1}, "
                                   f"not {value!r}")
        if not 0 <= self.blank < 1:
            raise TangshiError(f"condition.blank is a share of poems: 0 <= blank < 1, not {self.blank!r}")
        if not isinstance(self.keywords, bool):
            raise TangshiError(f"condition.keywords must be true or false, not {self.keywords!r}")


@dataclass
class Conditions:
    """The poets and title words a model knows, and how it encodes a request."""

    poets: list[str]  # row i + 1 is poets[i], most poems first
    poems: list[int]  # each poet's poems in the training text
    words: list[str]  # the title characters it reads
    title_chars: int
    keyword_slots: int = 0  # LINE_SLOTS for a poet told a plan, else 0

    def __post_init__(self) -> None:
        self.poet_rows = {p: i + 1 for i, p in enumerate(self.poets)}
        self.word_rows = {w: i for i, w in enumerate(self.words)}

    @property
    def width(self) -> int:
        """Ids in one encoded row: the poet's, title_chars title characters' and the lines' keywords'."""
        return 1 + self.title_chars + KEYWORD_CHARS * self.keyword_slots

    def title_words(self, title: str | None) -> list[str]:
        """The characters of `title` the model reads, in order, each once, at most title_chars."""
        out: list[str] = []
        for char in title or "":
            if char in self.word_rows and char not in out:
                out.append(char)
        return out[: self.title_chars]

    def encode(self, title: str | None, poet: str | None, keywords: np.ndarray | None = None) -> list[int]:
        """One row: the poet, the title and, for a poet told a plan, `keywords` ((lines, 2) ids from keyword_ids;
        None: no line told one)."""
        ids = [self.word_rows[c] for c in self.title_words(title)]
        head = [self.poet_rows.get(poet or "", ANY_POET)] + ids + [NO_TITLE] * (self.title_chars - len(ids))
        return self.with_keywords(head, keywords)

    def encode_all(self, metas: list[Meta], keywords: list[np.ndarray] | None = None) -> np.ndarray:
        """(N, width) rows of every poem's title and poet (and each poem's line keywords, one array a poem)."""
        rows = [self.encode(m.title, m.author, None if keywords is None else keywords[i]) for i, m in enumerate(metas)]
        return np.array(rows, dtype=np.int64).reshape(len(rows), self.width)

    def with_keywords(self, row, keywords: np.ndarray | None) -> list[int]:
        """`row` (its poet and title kept) telling `keywords` ((lines, 2) ids), one line a slot from its first;
        lines past LINE_SLOTS are dropped (a verse piece that starts mid-poem is told keywords[first:])."""
        head = list(row[: 1 + self.title_chars])
        slots = np.full((self.keyword_slots, KEYWORD_CHARS), NO_KEYWORD, dtype=np.int64)
        if keywords is not None and self.keyword_slots and len(keywords):
            told = np.asarray(keywords, dtype=np.int64).reshape(-1, KEYWORD_CHARS)[: self.keyword_slots]
            slots[: len(told)] = told
        return [int(x) for x in head] + slots.reshape(-1).tolist()

    def blanked(self, rows: np.ndarray, title: bool = False, poet: bool = False, keywords: bool = False) -> np.ndarray:
        """Encoded rows with the title, the poet, the line keywords or any of them taken away (what a poem told
        less is told)."""
        rows = np.array(rows, dtype=np.int64, copy=True)
        plan = KEYWORD_CHARS * self.keyword_slots
        if poet:
            rows[:, 0] = ANY_POET
        if title:
            rows[:, 1 : 1 + self.title_chars] = NO_TITLE
        if keywords and plan:
            rows[:, rows.shape[1] - plan :] = NO_KEYWORD
        return rows

    def check_poet(self, poet: str | None) -> None:
        """A requested poet must be known: one line naming the closest known names if not."""
        if poet is None or poet in self.poet_rows:
            return
        close = difflib.get_close_matches(poet, self.poets, n=3, cutoff=0.0) or self.poets[:3]
        raise TangshiError(f"the poet does not know {poet!r} (it knows {len(self.poets)} poets with at least "
                           f"{min(self.poems, default=0)} poems; `tangshi poets` lists them): closest known: "
                           f"{'、'.join(close)}")

    def check_title(self, title: str | None) -> None:
        """A requested title must have at least one character the model reads."""
        if title is not None and not self.title_words(title):
            raise TangshiError(f"no character of the title {title!r} is among the {len(self.words)} title words the poet "
                               "reads (秋 月 夜 送 寺 山 …): give a title or keywords that say what the poem is about")

    def save(self, path: str | Path) -> None:
        write_json(path, asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> "Conditions":
        try:
            return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise TangshiError(f"{path} not found: this poet was trained without titles and poets; run `dvc repro train@poet`")


def keyword_ids(keywords: list[str | None], vocab: Vocab) -> np.ndarray:
    """(lines, 2) the character ids of each line's keyword (NO_KEYWORD for none, and after a single character)."""
    out = np.full((len(keywords), KEYWORD_CHARS), NO_KEYWORD, dtype=np.int64)
    for line, word in enumerate(keywords):
        for k, char in enumerate(word or ""):
            out[line, k] = vocab.index[char]
    return out


def build_conditions(config: ConditionConfig, metas: list[Meta], vocab: Vocab) -> Conditions:
    """The poets and title words of a training text (never a dev split's)."""
    authors = Counter(m.author for m in metas if m.author != UNKNOWN)
    known = sorted(((a, n) for a, n in authors.items() if n >= config.min_poems), key=lambda an: (-an[1], an[0]))
    readable = {vocab.tokens[i] for i in vocab.char_ids if is_cjk(vocab.tokens[i])}
    titles = Counter(c for m in metas for c in set(m.title) if c in readable and c not in NOT_SUBJECTS)
    ranked = [c for c, _ in sorted(titles.items(), key=lambda cn: (-cn[1], cn[0]))]
    words = ranked[: config.title_words] if config.title_words else ranked
    return Conditions([a for a, _ in known], [n for _, n in known], words, config.title_chars,
                      LINE_SLOTS if config.keywords else 0)

