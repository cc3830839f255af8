"""SnowNLP sentiment as a component: the baseline voc is compared against.

SnowNLP gives P(positive) in [0, 1]; this component maps it to the three
sentiment classes, with ``neutral`` for scores inside ``neutral_band``.
snownlp is imported on first use only.

Example:
    >>> from voc.models.snownlp import SnowNLPSentiment
    >>> SnowNLPSentiment().predict(["这家店太好吃了，强烈推荐"])  # doctest: +SKIP
    ['positive']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["SnowNLPSentiment"]


class SnowNLPSentiment:
    """Wraps ``snownlp.SnowNLP(text).sentiments``.

    Args:
        neutral_band: ``(low, high)``: P(positive) strictly inside gives ``neutral``;
            ``None`` for a binary decision.
    """

    BACKEND = "snownlp"
    multi_label_ = False

    def __init__(self, neutral_band: Sequence[float] | None = None) -> None:
        self.neutral_band = list(neutral_band) if neutral_band else None
        self.classes_ = ["negative", "neutral", "positive"]

    def get_params(self) -> dict[str, object]:
        """Settings (saved into config.json)."""
        return {"neutral_band": self.neutral_band}

    def positive_probability(self, texts: Sequence[str]) -> np.ndarray:
        """SnowNLP's P(positive) per text."""
        from snownlp import SnowNLP

        return np.array([SnowNLP(t).sentiments if t.strip() else 0.5 for t in texts], dtype=np.float64)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Columns negative, neutral, positive."""
        pos = self.positive_probability(texts)
        out = np.zeros((len(pos), 3))
        low, high = self.neutral_band or (0.5, 0.5)
        for i, p in enumerate(pos):
            if low < p < high:
                out[i, 1] = 1.0 - abs(p - 0.5)
                out[i, 0] = (1 - out[i, 1]) * (1 - p)
                out[i, 2] = (1 - out[i, 1]) * p
            else:
                out[i, 0], out[i, 2] = 1 - p, p
        return out

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Labels."""
        return [self.classes_[i] for i in self.predict_proba(texts).argmax(axis=1)]
