"""Default backend: character n-gram TF-IDF features and (one-vs-rest) logistic regression.

Follows the scikit-learn estimator contract: hyper-parameters in ``__init__``,
learned state in ``fit`` (attributes ending in ``_``). Several classifiers can
share one fitted vectorizer (pass it as ``vectorizer``): the analyzer then computes
features once per batch for all of them, and :func:`save_group` stores it once.

Persistence never pickles: :func:`save_group` writes the vocabularies and label
lists as JSON and every array (idf weights, coefficients) as safetensors, and
:func:`load_group` rebuilds the objects from those. Loading is fast (< 1 s for
the shipped models) and cannot execute code.

Prediction needs numpy only: scikit-learn (and scipy) are imported when a model is
fitted, not when one is loaded or used, so ``voc.load()`` stays light. The classes
follow the estimator contract (``get_params``, ``set_params``, ``clone``) without
inheriting from scikit-learn.

Example:
    >>> from voc.models.sklearn import SklearnTextClassifier
    >>> clf = SklearnTextClassifier(min_df=1).fit(["很好吃", "太难吃了", "好吃", "难吃"], ["positive", "negative"] * 2)
    >>> clf.predict(["好吃好吃"])[0]
    'positive'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voc._input import check_texts as _check_texts
from voc.features import CharNgramVectorizer, EstimatorParams, SparseRows

__all__ = ["SklearnTextClassifier", "LinearHead", "make_vectorizer", "save_group", "load_group"]

BACKEND = "sklearn"
FORMAT = "voc-sklearn-2"


def make_vectorizer(ngram_range: tuple[int, int] = (1, 3), max_features: int | None = 200_000,
                    min_df: int = 2) -> CharNgramVectorizer:
    """The default feature extractor: TF-IDF over character n-grams of normalized text."""
    return CharNgramVectorizer(ngram_range=ngram_range, max_features=max_features, min_df=min_df)


class LinearHead:
    """Prediction-only linear model: ``softmax`` (multi-class), ``binary`` or ``ovr`` (multi-label).

    Holds float32 coefficients; what :class:`SklearnTextClassifier` keeps after ``fit``
    and what :func:`load_group` restores.
    """

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, kind: str) -> None:
        if kind not in ("softmax", "binary", "ovr"):
            raise ValueError(f"unknown head kind {kind!r}")
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.kind = kind
        self._coef_t = np.ascontiguousarray(self.coef.T)  # X @ coef.T without a copy per call

    @classmethod
    def from_sklearn(cls, model: Any, multi_label: bool) -> LinearHead:
        """Extract the weights of a fitted ``LogisticRegression`` or ``OneVsRestClassifier``."""
        if multi_label:
            coef = np.vstack([est.coef_ for est in model.estimators_])
            intercept = np.concatenate([est.intercept_ for est in model.estimators_])
            return cls(coef, intercept, "ovr")
        return cls(model.coef_, model.intercept_, "binary" if model.coef_.shape[0] == 1 else "softmax")

    def product(self, X: Any) -> np.ndarray:
        """``X @ coef.T`` (float32; ``X``: :class:`~voc.features.SparseRows`, a sparse or a dense matrix)."""
        return X.dot_dense(self._coef_t) if isinstance(X, SparseRows) else X @ self._coef_t

    def decision(self, X: Any) -> np.ndarray:
        """Raw scores ``X @ coef.T + intercept``."""
        return np.asarray(self.product(X), dtype=np.float64) + self.intercept

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (independent sigmoids for ``ovr``)."""
        return self.proba_from_product(self.product(X))

    def proba_from_product(self, prod: np.ndarray) -> np.ndarray:
        """:meth:`predict_proba` from a precomputed :meth:`product` (e.g. columns of a stacked one)."""
        d = np.asarray(prod, dtype=np.float64) + self.intercept
        if self.kind == "softmax":
            d = d - d.max(axis=1, keepdims=True)
            e = np.exp(d)
            return e / e.sum(axis=1, keepdims=True)
        p = 1.0 / (1.0 + np.exp(-d))
        return np.hstack([1.0 - p, p]) if self.kind == "binary" else p

    def class_coef(self, j: int) -> np.ndarray:
        """Weights pushing toward class ``j``."""
        if self.kind == "binary":
            return self.coef[0] if j == 1 else -self.coef[0]
        return self.coef[j]


class SklearnTextClassifier(EstimatorParams):
    """TF-IDF char n-grams -> logistic regression (one-vs-rest when multi-label).

    Args:
        multi_label: Fit one-vs-rest binary models; ``y`` is then a list of label lists.
        ngram_range: Character n-gram range of the vectorizer.
        max_features: Vocabulary cap of the vectorizer.
        min_df: Minimum document frequency of an n-gram.
        C: Inverse regularisation strength.
        class_weight: Passed to ``LogisticRegression`` (``"balanced"`` by default).
        vectorizer: A *fitted* vectorizer to reuse as is (shared features); ``None`` fits one.
        labels: Full label list for multi-label tasks (fixes the column order).

    Attributes:
        vectorizer_: The fitted vectorizer.
        model_: The fitted :class:`LinearHead`.
        classes_: Label codes, in column order of :meth:`predict_proba`.
        multi_label_: Whether the model is multi-label.
    """

    _estimator_type = "classifier"

    def __init__(self, multi_label: bool = False, ngram_range: tuple[int, int] = (1, 3),
                 max_features: int | None = 200_000, min_df: int = 2, C: float = 4.0,
                 class_weight: str | dict | None = "balanced", vectorizer: CharNgramVectorizer | None = None,
                 labels: Sequence[str] | None = None) -> None:
        self.multi_label = multi_label
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.vectorizer = vectorizer
        self.labels = labels

    def fit(self, X: Sequence[str], y: Sequence[Any]) -> SklearnTextClassifier:
        """Fit on texts ``X`` and labels ``y`` (label lists when ``multi_label``)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer

        X = _check_texts(X)
        if len(X) != len(y):
            raise ValueError(f"X and y have different lengths: {len(X)} != {len(y)}")
        if not X:
            raise ValueError("cannot fit on zero texts")
        if self.vectorizer is not None:
            self.vectorizer_ = self.vectorizer
            feats = self.vectorizer_.transform(X)
        else:
            self.vectorizer_ = make_vectorizer(self.ngram_range, self.max_features, self.min_df)
            feats = self.vectorizer_.fit_transform(X)
        lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000)
        if self.multi_label:
            mlb = MultiLabelBinarizer(classes=list(self.labels) if self.labels else None)
            Y = mlb.fit_transform([list(v) for v in y])
            keep = (Y.sum(axis=0) > 0) & (Y.sum(axis=0) < len(Y))
            if not keep.any():
                raise ValueError("multi-label training needs at least one label that is sometimes absent")
            self.classes_ = [str(c) for c, k in zip(mlb.classes_, keep, strict=True) if k]
            model = OneVsRestClassifier(lr).fit(feats, Y[:, keep])
        else:
            if len(set(y)) < 2:
                raise ValueError("single-label training needs at least two classes")
            model = lr.fit(feats, [str(v) for v in y])
            self.classes_ = [str(c) for c in model.classes_]
        self.multi_label_ = bool(self.multi_label)
        self.model_ = LinearHead.from_sklearn(model, self.multi_label_)
        return self

    def features(self, X: Sequence[str]) -> Any:
        """Sparse feature rows of ``X`` (shared between classifiers with one vectorizer)."""
        vec = self.vectorizer_
        if hasattr(vec, "transform_rows"):
            return vec.transform_rows(*vec.ngrams(X))
        return vec.transform(X)

    def predict_proba_features(self, feats: Any) -> np.ndarray:
        """Probabilities from precomputed :meth:`features`."""
        return self.model_.predict_proba(feats)

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Probability of each class (independent per label when multi-label)."""
        return self.predict_proba_features(self.features(_check_texts(X)))

    def predict(self, X: Sequence[str], threshold: float = 0.5) -> list[Any]:
        """Labels (label lists, thresholded, when multi-label)."""
        proba = self.predict_proba(X)
        if self.multi_label_:
            return [[c for c, p in zip(self.classes_, row, strict=True) if p >= threshold] for row in proba]
        return [self.classes_[i] for i in proba.argmax(axis=1)]

    def score(self, X: Sequence[str], y: Sequence[Any]) -> float:
        """Mean accuracy (exact label-set match when multi-label), as scikit-learn classifiers."""
        pred = self.predict(X)
        if self.multi_label_:
            return float(np.mean([set(p) == set(t) for p, t in zip(pred, y, strict=True)]))
        return float(np.mean([str(p) == str(t) for p, t in zip(pred, y, strict=True)]))

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags of a classifier (only asked by scikit-learn, so importing it here is free)."""
        from sklearn.base import BaseEstimator, ClassifierMixin

        class _Tags(ClassifierMixin, BaseEstimator):
            pass

        tags = _Tags().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags

    def top_features_sparse(self, indices: np.ndarray, data: np.ndarray, label: str, k: int = 3) -> list[str]:
        """The ``k`` n-grams of one feature row (its CSR indices and values) pushing toward ``label``."""
        if label not in self.classes_ or len(indices) == 0:
            return []
        coef = self.model_.class_coef(self.classes_.index(label))
        contrib = data * coef[indices]
        order = [i for i in np.argsort(-contrib)[:k] if contrib[i] > 0]
        return self.vectorizer_.terms([indices[i] for i in order])

    def top_features(self, text: str, label: str, k: int = 3) -> list[str]:
        """The ``k`` n-grams of ``text`` pushing hardest toward ``label`` (evidence for a decision)."""
        row = self.features([text])
        return self.top_features_sparse(row.indices, row.data, label, k)


def save_group(path: str | Path, classifiers: dict[str, SklearnTextClassifier]) -> None:
    """Save classifiers as ``<path>.json`` + ``<path>.safetensors``, each shared vectorizer once."""
    from safetensors.numpy import save_file

    path = Path(path)
    vecs: list[CharNgramVectorizer] = []
    arrays: dict[str, np.ndarray] = {}
    heads: dict[str, dict[str, Any]] = {}
    for task, clf in classifiers.items():
        vec = clf.vectorizer_
        idx = next((i for i, v in enumerate(vecs) if v is vec), None)
        if idx is None:
            vecs.append(vec)
            idx = len(vecs) - 1
            arrays[f"vectorizer.{idx}.idf"] = np.asarray(vec.idf_, dtype=np.float32)
            arrays[f"vectorizer.{idx}.ids"] = np.asarray(vec.vocabulary_ids_, dtype=np.int64)
        arrays[f"head.{task}.coef"] = clf.model_.coef
        arrays[f"head.{task}.intercept"] = clf.model_.intercept
        heads[task] = {"vectorizer": idx, "kind": clf.model_.kind, "classes": list(clf.classes_),
                       "multi_label": clf.multi_label_, "params": _plain_params(clf)}
    meta = {"format": FORMAT, "heads": heads, "vectorizers": [{"params": _vec_params(v)} for v in vecs]}
    path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    save_file(arrays, str(path.with_suffix(".safetensors")))


def load_group(path: str | Path) -> dict[str, SklearnTextClassifier]:
    """Load a :func:`save_group` pair of files (JSON + safetensors; nothing is unpickled).

    Raises:
        ValueError: The files are not a voc sklearn model (e.g. a pickle in disguise).
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    try:
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        arrays = load_file(str(path.with_suffix(".safetensors")))
    except (UnicodeDecodeError, json.JSONDecodeError, SafetensorError, OSError) as e:
        raise ValueError(f"{path}: not a voc sklearn model ({type(e).__name__}: {e})") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{path}: not a voc sklearn model (format {found!r})")
    try:
        return _build_group(meta, arrays)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
        raise ValueError(f"{path}.json: malformed voc sklearn model ({type(e).__name__}: {e})") from e


def _build_group(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, SklearnTextClassifier]:
    vecs = []
    for i, spec in enumerate(meta["vectorizers"]):
        params = dict(spec["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        vec = CharNgramVectorizer(**params)
        vec.vocabulary_ids_ = arrays[f"vectorizer.{i}.ids"]
        vec.idf_ = arrays[f"vectorizer.{i}.idf"]
        vecs.append(vec)
    out = {}
    for task, head in meta["heads"].items():
        clf = SklearnTextClassifier(**head["params"])
        clf.vectorizer_ = vecs[head["vectorizer"]]
        clf.model_ = LinearHead(arrays[f"head.{task}.coef"], arrays[f"head.{task}.intercept"], head["kind"])
        clf.classes_ = list(head["classes"])
        clf.multi_label_ = bool(head["multi_label"])
        out[task] = clf
    return out


def _vec_params(vec: CharNgramVectorizer) -> dict[str, Any]:
    if not isinstance(vec, CharNgramVectorizer):
        raise TypeError(f"only CharNgramVectorizer features can be saved, got {type(vec).__name__}")
    params = vec.get_params()
    params["ngram_range"] = list(params["ngram_range"])
    return params


def _plain_params(clf: SklearnTextClassifier) -> dict[str, Any]:
    params = clf.get_params(deep=False)
    params.pop("vectorizer", None)
    params["ngram_range"] = list(params["ngram_range"])
    if params.get("labels") is not None:
        params["labels"] = list(params["labels"])
    return params
