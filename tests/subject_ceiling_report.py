"""Whether a poem is about its title, told from the text alone: the ceiling of issue 21's subject measure.

    python tests/subject_ceiling_report.py        # from the repo root, after `dvc repro titles`

A title says what a poem is about (送友人, 秋夜寄丘员外, 登岳阳楼); most of its
characters are names and occasions, but some carry the subject: 送, 秋, 夜,
寺, 登. From the train-split poems of the four Tang forms (titles beside them
in data/titles/), for each of the KEYWORDS commonest title characters (numbers
and 首 left out: they count poems, they name no subject) a Bernoulli naive Bayes
log-likelihood ratio of a poem's set of characters, the poems whose title has
that character against all poems. A title scores a poem by the mean ratio of
its keywords, each centred on its mean over the poems scored (a common keyword
must not win every poem). Measured on dev poems, which nothing learned from:
the true title is ranked among DISTRACTORS titles of other dev poems (each with
at least one keyword); the share ranked first, and the mean reciprocal rank,
is what a poem written *for* a title can reach. Chance is 1/(DISTRACTORS+1).
"""

import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, "src")
from tangshi.data.corpus import is_cjk, read_poems  # noqa: E402
from tangshi.data.titles import from_tsv  # noqa: E402
from tangshi.forms import FORMS  # noqa: E402

KEYWORDS = 300  # title characters the measure knows
DISTRACTORS = 9
NOT_SUBJECTS = set("一二三四五六七八九十百千首")  # they count a title's poems
SMOOTHING = 1.0


def titled(split: str) -> list[tuple[str, str]]:
    """(title, poem) of every poem of `split` (train or dev) of the four forms' Tang sets."""
    out = []
    for form in FORMS:
        metas = from_tsv(Path(f"data/titles/{form.folder}/{split}.tsv").read_text(encoding="utf-8"))
        out += [(m.title, p) for m, p in zip(metas, read_poems(f"data/corpus/{form.folder}/{split}.txt"), strict=True)]
    return out


def main() -> None:
    train, dev = titled("train"), titled("dev")
    counts = Counter(c for t, _ in train for c in set(t) if is_cjk(c) and c not in NOT_SUBJECTS)
    keywords = [c for c, _ in counts.most_common(KEYWORDS)]
    k_index = {c: i for i, c in enumerate(keywords)}
    chars = sorted({c for _, p in train for c in p if is_cjk(c)})
    c_index = {c: i for i, c in enumerate(chars)}

    def present(poems: list[str]) -> np.ndarray:
        x = np.zeros((len(poems), len(chars)), dtype=np.float32)
        for n, p in enumerate(poems):
            x[n, [c_index[c] for c in set(p) if c in c_index]] = 1
        return x

    def title_rows(ts: list[str]) -> np.ndarray:
        y = np.zeros((len(ts), len(keywords)), dtype=np.float32)
        for n, t in enumerate(ts):
            y[n, [k_index[c] for c in set(t) if c in k_index]] = 1
        return y

    x, y = present([p for _, p in train]), title_rows([t for t, _ in train])
    p_kc = (y.T @ x + SMOOTHING) / (y.sum(0)[:, None] + 2 * SMOOTHING)  # P(char in poem | keyword in title)
    p_c = (x.sum(0) + SMOOTHING) / (len(x) + 2 * SMOOTHING)
    w = np.log(p_kc / p_c) - np.log((1 - p_kc) / (1 - p_c))
    b = np.log((1 - p_kc) / (1 - p_c)).sum(1)

    dev = [(t, p) for t, p in dev if title_rows([t]).any()]
    xd, yd = present([p for _, p in dev]), title_rows([t for t, _ in dev])
    llr = xd @ w.T + b  # (poems, keywords)
    llr -= llr.mean(0)
    scores = (llr @ yd.T) / yd.sum(1)  # scores[i, j]: title j on poem i
    rng = random.Random(42)
    ranks = []
    for i in range(len(dev)):
        others = rng.sample([j for j in range(len(dev)) if j != i], DISTRACTORS)
        ranks.append(1 + sum(scores[i, j] > scores[i, i] for j in others))
    ranks = np.array(ranks)
    print(f"{len(keywords)} title keywords from {len(train)} train poems; {len(dev)} dev poems with one in their title "
          f"(of {len(titled('dev'))})")
    print(f"true title first among {DISTRACTORS + 1}: {np.mean(ranks == 1):.3f} (chance {1 / (DISTRACTORS + 1):.3f}); "
          f"mean reciprocal rank {np.mean(1 / ranks):.3f} (chance {np.mean(1 / np.arange(1, DISTRACTORS + 2)):.3f})")
    print("commonest keywords: " + " ".join(keywords[:40]))


if __name__ == "__main__":
    main()
