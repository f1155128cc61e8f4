"""Whose voice a poem is in, told from its text alone: an author classifier over a few poets (issue 21's voice
measure).

scikit-learn: TF-IDF of character 1- and 2-grams, logistic regression with
balanced class weights (poems written "as" each poet come in equal numbers, so
no poet may win by being common). It learns from train-split poems only; its
mean per-poet recall on their dev poems is the ceiling a poem written in a
poet's voice can reach, and chance is one over the number of poets.
"""

from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from ..errors import TangshiError


class VoiceClassifier:
    def __init__(self, poets: list[str], train: list[tuple[str, str]]):
        """`train`: (author, poem) pairs; the poems of `poets` among them are learned from."""
        self.poets = list(poets)
        pairs = [(a, p) for a, p in train if a in self.poets]
        missing = [p for p in self.poets if p not in {a for a, _ in pairs}]
        if missing:
            raise TangshiError(f"no train-split poem by {'、'.join(missing)}: choose sampled poets the corpus has")
        self.train_poems = Counter(a for a, _ in pairs)
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=None)
        self.classifier = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced")
        self.classifier.fit(self.vectorizer.fit_transform([p for _, p in pairs]), [a for a, _ in pairs])

    def attribute(self, poems: list[str]) -> list[str]:
        return list(self.classifier.predict(self.vectorizer.transform(poems))) if poems else []

    def recall(self, poems: list[str], poet: str) -> float:
        """The share of `poems` given to `poet`."""
        return float(np.mean([a == poet for a in self.attribute(poems)])) if poems else 0.0

    def ceiling(self, dev: list[tuple[str, str]]) -> dict:
        """Per-poet recall on real dev poems of the poets, their mean, and the accuracy."""
        pairs = [(a, p) for a, p in dev if a in self.poets]
        given = self.attribute([p for _, p in pairs])
        recall = {poet: float(np.mean([g == a for (a, _), g in zip(pairs, given) if a == poet])) for poet in self.poets
                  if any(a == poet for a, _ in pairs)}
        return {"dev_poems": len(pairs), "accuracy": float(np.mean([g == a for (a, _), g in zip(pairs, given)])),
                "mean_recall": float(np.mean(list(recall.values()))), "recall": recall}
