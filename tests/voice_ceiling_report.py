"""How well a poet's voice can be told from the text alone: the ceiling of issue 21's voice measure.

    python tests/voice_ceiling_report.py          # from the repo root, after `dvc repro titles`

Every Tang regulated poem has its author beside it (data/titles/, the titles
stage). An author
classifier — scikit-learn, TF-IDF of character 1- and 2-grams, logistic
regression — learns from the train-split poems (all four forms) of the poets
whose voices issue 21 samples, and is scored on their dev-split poems, which
nothing learned from. Its dev accuracy is what "attributed to that poet" can
reach on real poems. Poems written "as" each poet come in equal numbers, so the
classifier weighs the poets equally and the figure that compares is the mean
of the per-poet recalls (chance: one over the number of poets). Also printed: how many Tang
poets have at least 20, 50 and 100 poems in the train splits (the poet-token
threshold of issue 21 is a param).
"""

import sys
from collections import Counter

import numpy as np

sys.path.insert(0, "src")
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from tangshi.data.titles import read_titled  # noqa: E402
from tangshi.forms import FORMS  # noqa: E402

POETS = ("杜甫", "李白", "王维", "白居易", "李商隐", "杜牧")  # clearly different voices (issue 21)


def authored(split: str) -> list[tuple[str, str]]:
    """(author, poem) of every poem of `split` (train or dev) of the four forms' Tang sets."""
    return [(m.author, p) for form in FORMS for m, p in read_titled(form.folder, split)]


def main() -> None:
    train, dev = authored("train"), authored("dev")
    counts = Counter(a for a, _ in train if a)
    print(f"train split: {len(train)} poems by {len(counts)} poets; "
          + ", ".join(f"{sum(n >= k for n in counts.values())} with >= {k}" for k in (20, 50, 100)))
    x_train = [p for a, p in train if a in POETS]
    y_train = [a for a, _ in train if a in POETS]
    x_dev = [p for a, p in dev if a in POETS]
    y_dev = [a for a, _ in dev if a in POETS]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                                 token_pattern=None)
    # balanced: poems written "as" each poet come in equal numbers, so no poet may win by being common
    classifier = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
    classifier.fit(vectorizer.fit_transform(x_train), y_train)
    predicted = classifier.predict(vectorizer.transform(x_dev))
    accuracy = float(np.mean(predicted == np.array(y_dev)))
    matrix = confusion_matrix(y_dev, predicted, labels=list(POETS))
    recall = matrix.diagonal() / matrix.sum(axis=1)
    majority = Counter(y_dev).most_common(1)[0]
    print(f"\n{len(POETS)} poets: {len(x_train)} train poems, {len(x_dev)} dev poems")
    print(f"dev accuracy {accuracy:.3f} (always {majority[0]}: {majority[1] / len(y_dev):.3f}); "
          f"mean recall over the poets {recall.mean():.3f} (chance {1 / len(POETS):.3f})\n")
    print("| poet | train poems | dev poems | recall on dev |")
    print("|---|---|---|---|")
    for i, poet in enumerate(POETS):
        total = matrix[i].sum()
        print(f"| {poet} | {y_train.count(poet)} | {total} | {matrix[i, i] / total if total else float('nan'):.3f} |")


if __name__ == "__main__":
    main()
