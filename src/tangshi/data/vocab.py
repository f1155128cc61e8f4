"""The dictionaries: the most frequent training characters plus `*`, `$`, `，`, `。`.

The shared dictionary (data/vocab.json) is the report's: the `size` commonest
characters of the normal 五律 training split; the five report variants read
through it. The poet's dictionary (data/poet_vocab.json) holds every character
its own training text uses at least `min_count` times, plus `<oov>`.

Out-of-dictionary characters are either remapped to a dictionary character
drawn at random (`oov: random`, the report's choice; one fixed draw per
character, the same in train, dev and generation) or mapped to `<oov>`.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import TangshiError
from ..params import choose
from .corpus import unit_hash

BOS, EOS, COMMA, STOP = "*", "$", "，", "。"
SPECIALS = (BOS, EOS, COMMA, STOP)
OOV_TOKEN = "<oov>"
OOV_MODES = ("random", "token")
# Which dictionary a model reads through -> its file name in data/ (the two always lie side by side).
DICTIONARIES = {"shared": "vocab.json", "poet": "poet_vocab.json"}
ENCODED = {"shared": "encoded", "poet": "poet_encoded"}  # data/<this>/{set}/{split}.npy, verse.npy
EMBEDDINGS = {"shared": "embedding.npy", "poet": "poet_embedding.npy"}


def dictionary_path(shared: str | Path, dictionary: str) -> Path:
    """The file of `dictionary`, found beside the shared dictionary's file `shared`."""
    choose("dictionary", dictionary, tuple(DICTIONARIES))
    return Path(shared).with_name(DICTIONARIES[dictionary])


@dataclass
class Vocab:
    tokens: list[str]  # id -> token; SPECIALS first, then characters by frequency
    oov: str = "random"
    seed: int = 0
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.char_ids = [i for i, t in enumerate(self.tokens) if t not in SPECIALS and t != OOV_TOKEN]

    @property
    def bos(self) -> int:
        return self.index[BOS]

    @property
    def eos(self) -> int:
        return self.index[EOS]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, char: str) -> bool:
        return char in self.index and char not in (BOS, EOS, OOV_TOKEN)

    def char_id(self, char: str) -> int:
        """Id of a character; out-of-dictionary ones follow the OOV rule."""
        if char in self.index:
            return self.index[char]
        if self.oov == "token":
            return self.index[OOV_TOKEN]
        return self.char_ids[int(unit_hash("oov", self.seed, char) * len(self.char_ids))]

    def encode(self, poem: str) -> list[int]:
        return [self.bos] + [self.char_id(c) for c in poem] + [self.eos]

    def decode(self, ids) -> str:
        return "".join(self.tokens[i] for i in ids)

    def digest(self) -> str:
        """Identifies the dictionary and OOV rule, so checkpoints can refuse a different one."""
        payload = json.dumps([self.tokens, self.oov, self.seed], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        return {"tokens": self.tokens, "oov": self.oov, "seed": self.seed, "digest": self.digest()}

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(data["tokens"], data["oov"], data["seed"])
        except FileNotFoundError:
            raise TangshiError(f"{path} not found: run `dvc repro vocab` first")
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise TangshiError(f"{path} is not a tangshi vocabulary ({err}): run `dvc repro -f vocab`")


def build_vocab(train: list[str], size: int, oov: str, seed: int) -> Vocab:
    choose("vocab.oov", oov, OOV_MODES)
    if size < 1:
        raise TangshiError(f"vocab.size must be at least 1, not {size}")
    counts = Counter(c for poem in train for c in poem if c not in SPECIALS)
    if not counts:
        raise TangshiError("the training split has no characters: check the corpus stage")
    chars = sorted(counts, key=lambda c: (-counts[c], ord(c)))[:size]
    tokens = list(SPECIALS) + chars + ([OOV_TOKEN] if oov == "token" else [])
    return Vocab(tokens, oov, seed)


def build_poet_vocab(texts: list[str], min_count: int, seed: int) -> Vocab:
    """Every character of `texts` seen at least `min_count` times (commonest first), the specials and `<oov>`."""
    if min_count < 1:
        raise TangshiError(f"poet_vocab.min_count must be at least 1, not {min_count}")
    counts = Counter(c for text in texts for c in text if c not in SPECIALS)
    chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], ord(c)))
    if not chars:
        raise TangshiError(f"no character occurs {min_count} times in the poet's training text: lower poet_vocab.min_count")
    return Vocab(list(SPECIALS) + chars + [OOV_TOKEN], "token", seed)


def rare_characters(texts: list[str], vocab: Vocab) -> dict[str, int]:
    """The characters of `texts` outside `vocab` (what its `<oov>` stands for there), with their counts."""
    counts = Counter(c for text in texts for c in text if c not in SPECIALS and c not in vocab)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], ord(kv[0]))))


def oov_rate(vocab: Vocab, poems: list[str]) -> float:
    chars = [c for poem in poems for c in poem if c not in SPECIALS]
    return sum(c not in vocab for c in chars) / max(len(chars), 1)


def encode_all(vocab: Vocab, poems: list[str]) -> np.ndarray:
    """An (N, 50) int32 array: `*`, the 48 tokens of each poem, `$`."""
    return np.array([vocab.encode(p) for p in poems], dtype=np.int32).reshape(len(poems), -1)
