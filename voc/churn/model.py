"""The churn-risk estimator: logistic regression or histogram gradient boosting."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from voc.churn.evaluation import ChurnEvaluation, evaluate_risk
from voc.churn.features import FEATURES
from voc.churn.persistence import _load_model, _save_model

KINDS = ("logistic", "gbm")

#: Default ``max_fit_rows``: above this many training rows the models are fitted on a
#: class-stratified random sample of this size (features, medians and evaluation still use every
#: row). 250,000 stacked snapshot rows is about 74,000 customers with four monthly snapshots, so
#: small and medium data (below ~50k customers, ~170k rows) are fitted exactly as before.
MAX_FIT_ROWS = 250_000


def _sigmoid(z: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return np.asarray(expit(z), dtype=float)


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Churn risk over a horizon: logistic regression or histogram gradient boosting.

    Follows the scikit-learn estimator contract (hyper-parameters in
    ``__init__``, learned state in attributes ending in ``_``). ``X`` is the
    output of :func:`churn_features` (any DataFrame with the :data:`FEATURES`
    columns; extra columns are ignored) or a numeric array in that column order.

    With ``model="auto"`` both models are fitted on a stratified
    ``1 - validation_fraction`` part of the training rows (or on all of them
    when ``fit`` gets ``X_val`` / ``y_val``, e.g. a later snapshot), the one with
    the higher validation ROC-AUC is kept and refitted on all training rows.
    Fitting is capped at ``max_fit_rows`` rows per model (a class-stratified
    random sample above it; see the argument), so its cost stops growing with
    the number of rows; small and medium data are fitted on every row.

    Args:
        model: ``"auto"``, ``"logistic"`` or ``"gbm"``.
        horizon_days: Horizon of the label the model is trained on (metadata,
            used by :func:`issue_forecast` to rescale risks).
        C: Inverse L2 strength of the logistic regression (on standardised features).
        learning_rate: Gradient boosting learning rate.
        max_iter: Boosting iterations.
        max_leaf_nodes: Leaves per tree.
        min_samples_leaf: Minimum rows per leaf.
        l2_regularization: L2 penalty of the leaf values.
        validation_fraction: Share of the training rows held out for ``"auto"``.
        features: Feature columns (default :data:`FEATURES`).
        random_state: Seed of the split, the boosting and the permutations.
        n_threads: OpenMP threads of gradient boosting (default 1: on small
            inputs and busy machines more threads were up to 7x slower).
        max_fit_rows: Most rows any model is fitted on (default :data:`MAX_FIT_ROWS`
            = 250,000; ``None`` = no limit). With more training rows (or, for
            ``"auto"``, more rows on the fitting side of the hold-out), each model is
            fitted on a class-stratified random sample of exactly ``max_fit_rows`` rows
            (seed ``random_state``; each class keeps its share, at least one row, so
            the base rate and the calibration are kept). The medians, the hold-out,
            the validation scores and :meth:`evaluate` still use every row. At or
            below the limit nothing is sampled and the result is identical to
            ``max_fit_rows=None``.

    Attributes:
        kind_: ``"logistic"`` or ``"gbm"``.
        feature_names_in_: Feature columns, in order.
        fill_: Training median per feature (replaces missing values; the
            reference value of the gradient boosting explanations).
        mean_, scale_: Standardisation of the logistic model.
        coef_, intercept_: Logistic coefficients (on standardised features).
        estimator_: The fitted ``HistGradientBoostingClassifier`` (``"gbm"``).
        validation_scores_: ``{kind: validation ROC-AUC}`` (``"auto"`` only).
        n_fit_rows_: Rows the kept model was fitted on (``min(len(X), max_fit_rows)``;
            not saved by :meth:`to_disk`).
        feature_importances_: Global importance per feature (a Series):
            ``|coef|`` for the logistic model, permutation importance (mean drop
            in ROC-AUC over 2 permutations, on the validation rows or a
            stratified sample of at most 2,000 training rows) for gradient boosting.
        classes_: ``[0, 1]`` (1 = churn).

    Example:
        >>> from voc.churn import churn_features
        >>> from voc.synthetic import generate_history
        >>> h = generate_history(n_customers=400, seed=0)
        >>> X, y = churn_features(h["feedback"], h["contacts"], h["events"], as_of="2024-10-01",
        ...                       horizon_days=60)
        >>> m = ChurnModel(model="logistic").fit(X, y)
        >>> bool(m.risk(X).between(0, 1).all())
        True
    """

    def __init__(
        self,
        model: str = "auto",
        horizon_days: float = 90,
        *,
        C: float = 0.3,
        learning_rate: float = 0.05,
        max_iter: int = 150,
        max_leaf_nodes: int = 8,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        validation_fraction: float = 0.25,
        features: tuple[str, ...] | list[str] | None = None,
        random_state: int = 0,
        n_threads: int | None = 1,
        max_fit_rows: int | None = MAX_FIT_ROWS,
    ) -> None:
        self.model = model
        self.horizon_days = horizon_days
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.validation_fraction = validation_fraction
        self.features = features
        self.random_state = random_state
        self.n_threads = n_threads
        self.max_fit_rows = max_fit_rows

    # ---- matrices
    def _names(self) -> list[str]:
        return list(self.features) if self.features is not None else list(FEATURES)

    def _matrix(self, X: Any, names: list[str] | None = None) -> np.ndarray:
        names = names if names is not None else list(self.feature_names_in_)
        if isinstance(X, pd.DataFrame):
            missing = [c for c in names if c not in X.columns]
            if missing:
                raise ValueError(
                    f"ChurnModel: X lacks feature column(s) {missing[:8]}{' ...' if len(missing) > 8 else ''}; "
                    "build X with voc.churn.churn_features"
                )
            A = X[names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        else:
            A = np.asarray(X, dtype=float)
            if A.ndim != 2 or A.shape[1] != len(names):
                raise ValueError(f"ChurnModel: expected a 2-D array with {len(names)} columns, got {A.shape}")
        return A

    def _filled(self, A: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(A)
        if bad.any():
            A = A.copy()
            A[bad] = np.broadcast_to(self.fill_, A.shape)[bad]
        return A

    # ---- fitting
    def _fit_logistic(self, A: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        mean = A.mean(axis=0)
        scale = A.std(axis=0)
        scale[scale < 1e-12] = 1.0
        lr = LogisticRegression(C=self.C, max_iter=5000).fit((A - mean) / scale, y)
        return {
            "mean": mean,
            "scale": scale,
            "coef": lr.coef_[0].astype(float),
            "intercept": np.asarray(lr.intercept_, dtype=float),
        }

    def _threads(self) -> Any:
        """Context limiting OpenMP threads to ``n_threads`` (no limit when ``None``)."""
        if self.n_threads is None:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.n_threads)

    def _fit_gbm(self, A: np.ndarray, y: np.ndarray) -> Any:

        with self._threads():
            return self._new_gbm().fit(A, y)

    def _new_gbm(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )

    def _fit_rows(self, y: np.ndarray) -> np.ndarray | None:
        """Row positions a model is fitted on: ``None`` (every row) up to ``max_fit_rows`` rows,
        else a sorted class-stratified random sample of exactly ``max_fit_rows`` positions."""
        cap = self.max_fit_rows
        if cap is None or len(y) <= cap:
            return None
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y != 1)
        # each class keeps its share (the base rate, hence the calibration, is kept), at least one row
        k_pos = min(max(int(round(cap * len(pos) / len(y))), 1), len(pos), cap - 1)
        k_neg = min(cap - k_pos, len(neg))
        rng = np.random.default_rng(self.random_state)
        take = np.concatenate([rng.choice(pos, k_pos, replace=False), rng.choice(neg, k_neg, replace=False)])
        return np.sort(take)

    def _capped(self, A: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = self._fit_rows(y)
        return (A, y) if rows is None else (A[rows], y[rows])

    @staticmethod
    def _proba_logistic(state: dict[str, np.ndarray], A: np.ndarray) -> np.ndarray:
        z = ((A - state["mean"]) / state["scale"]) @ state["coef"] + state["intercept"][0]
        return _sigmoid(z)

    def fit(
        self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None
    ) -> ChurnModel:
        """Fit on features ``X`` and churn labels ``y`` (bool / 0-1).

        Args:
            X: Features (see the class docstring).
            y: Labels, 1 = churned within the horizon.
            X_val: Optional validation features for ``model="auto"`` (e.g. a
                later snapshot); default a stratified hold-out of ``X``.
            y_val: Labels of ``X_val``.

        Returns:
            ``self``.

        Raises:
            ValueError: Unknown ``model``, a single class in ``y``, or missing features.
        """
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import train_test_split

        if self.model not in ("auto", *KINDS):
            raise ValueError(f"ChurnModel: model must be 'auto', 'logistic' or 'gbm', got {self.model!r}")
        if self.max_fit_rows is not None and (
            isinstance(self.max_fit_rows, bool) or not isinstance(self.max_fit_rows, (int, np.integer))
            or self.max_fit_rows < 2
        ):
            raise ValueError(f"ChurnModel: max_fit_rows must be None or an integer >= 2, got {self.max_fit_rows!r}")
        names = (
            self._names()
            if isinstance(X, pd.DataFrame) or self.features is not None
            else [f"x{i}" for i in range(np.asarray(X).shape[1])]
        )
        A = self._matrix(X, names)
        yy = np.asarray(y, dtype=float).astype(int).ravel()
        if len(yy) != len(A):
            raise ValueError(f"ChurnModel: X and y have different lengths: {len(A)} != {len(yy)}")
        if len(np.unique(yy)) < 2:
            raise ValueError("ChurnModel: y needs both churned and retained customers")
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        med = np.nanmedian(np.where(np.isfinite(A), A, np.nan), axis=0) if len(A) else np.zeros(len(names))
        self.fill_ = np.where(np.isfinite(med), med, 0.0)
        A = self._filled(A)
        self.classes_ = np.array([0, 1])
        self.validation_scores_: dict[str, float] = {}

        kind = self.model
        val_A: np.ndarray | None = None
        val_y: np.ndarray | None = None
        if kind == "auto":
            if X_val is not None and y_val is not None:
                fit_A, fit_y = A, yy
                val_A, val_y = self._filled(self._matrix(X_val)), np.asarray(y_val, dtype=float).astype(int)
            elif min(np.bincount(yy)) >= 10:
                groups = _customer_groups(X)
                if groups is not None and groups.duplicated().any():
                    # stacked snapshots: hold out whole customers, so none is on both sides
                    uniq = groups.unique()
                    rng = np.random.default_rng(self.random_state)
                    held = set(rng.permutation(uniq)[: int(round(self.validation_fraction * len(uniq)))])
                    is_val = groups.isin(held).to_numpy()
                    fit_A, val_A, fit_y, val_y = A[~is_val], A[is_val], yy[~is_val], yy[is_val]
                else:
                    fit_A, val_A, fit_y, val_y = train_test_split(
                        A, yy, test_size=self.validation_fraction, stratify=yy, random_state=self.random_state
                    )
            else:
                fit_A = fit_y = None
            if fit_A is not None and val_A is not None and len(np.unique(val_y)) == 2:
                fit_A, fit_y = self._capped(fit_A, fit_y)
                p_lr = self._proba_logistic(self._fit_logistic(fit_A, fit_y), val_A)
                gb = self._fit_gbm(fit_A, fit_y)
                with self._threads():
                    p_gb = gb.predict_proba(val_A)[:, 1]
                self.validation_scores_ = {
                    "logistic": float(roc_auc_score(val_y, p_lr)),
                    "gbm": float(roc_auc_score(val_y, p_gb)),
                }
                kind = max(self.validation_scores_, key=lambda k: self.validation_scores_[k])
            else:
                warnings.warn("ChurnModel: too few churners to compare models; using logistic", stacklevel=2)
                kind = "logistic"
        self.kind_ = kind
        cap_A, cap_y = self._capped(A, yy)
        self.n_fit_rows_ = len(cap_y)
        if kind == "logistic":
            st = self._fit_logistic(cap_A, cap_y)
            self.mean_, self.scale_ = st["mean"], st["scale"]
            self.coef_, self.intercept_ = st["coef"], st["intercept"]
            self.estimator_ = None
            imp = np.abs(self.coef_)
        else:
            self.estimator_ = self._fit_gbm(cap_A, cap_y)
            imp = self._permutation_importance(
                val_A if val_A is not None else A, val_y if val_y is not None else yy
            )
        self.feature_importances_ = pd.Series(imp, index=list(names), name="importance")
        return self

    def _permutation_importance(self, A: np.ndarray, y: np.ndarray) -> np.ndarray:
        from sklearn.inspection import permutation_importance

        if len(np.unique(y)) < 2:
            return np.zeros(A.shape[1])
        if len(A) > 2000:  # a stratified sample keeps the cost at ~100 predictions of 2,000 rows
            from sklearn.model_selection import train_test_split

            A, _, y, _ = train_test_split(A, y, train_size=2000, stratify=y, random_state=self.random_state)
        with self._threads():
            r = permutation_importance(
                self.estimator_, A, y, scoring="roc_auc", n_repeats=2, random_state=self.random_state, n_jobs=1
            )
        return np.asarray(r.importances_mean, dtype=float)

    # ---- prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "kind_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("ChurnModel is not fitted yet; call fit() or ChurnModel.from_disk()")

    def _proba_matrix(self, A: np.ndarray) -> np.ndarray:
        if self.kind_ == "logistic":
            st = {"mean": self.mean_, "scale": self.scale_, "coef": self.coef_, "intercept": self.intercept_}
            return self._proba_logistic(st, A)
        with self._threads():
            return np.asarray(self.estimator_.predict_proba(A)[:, 1], dtype=float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[P(stay), P(churn)]`` per row."""
        self._check_fitted()
        p = self._proba_matrix(self._filled(self._matrix(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any, threshold: float = 0.5) -> np.ndarray:
        """1 where the churn risk reaches ``threshold``."""
        return (self.predict_proba(X)[:, 1] >= threshold).astype(int)

    def risk(self, X: Any) -> pd.Series:
        """Churn risk over the horizon, a Series named ``churn_risk`` (indexed like ``X``)."""
        p = self.predict_proba(X)[:, 1]
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.Series(p, index=index, name="churn_risk")

    # ---- evaluation and explanations
    def evaluate(self, X: Any, y: Any, *, bins: int = 10, strategy: str = "quantile") -> ChurnEvaluation:
        """ROC-AUC, PR-AUC, Brier score and a calibration table on ``(X, y)``.

        Args:
            X: Features.
            y: True labels.
            bins: Calibration bins.
            strategy: ``"quantile"`` (equal-count bins of predicted risk) or
                ``"uniform"`` (equal-width bins over [0, 1]).

        Returns:
            A :class:`ChurnEvaluation`.
        """
        return evaluate_risk(y, self.predict_proba(X)[:, 1], bins=bins, strategy=strategy, model=self.kind_)

    def contributions(self, X: Any) -> pd.DataFrame:
        """Per row and feature, the contribution to the score.

        Logistic: ``coef x standardised value`` (log-odds relative to the
        average training customer). Gradient boosting: the change in churn
        risk when the feature is replaced by its training median
        (``risk(x) - risk(x with x_j = median_j)``; probability points).

        Returns:
            DataFrame indexed like ``X`` with one column per feature.
        """
        self._check_fitted()
        A = self._filled(self._matrix(X))
        if self.kind_ == "logistic":
            C = (A - self.mean_) / self.scale_ * self.coef_
        else:
            base = self._proba_matrix(A)
            C = np.zeros_like(A)
            for j in range(A.shape[1]):
                col = A[:, j]
                diff = col != self.fill_[j]
                if not diff.any():
                    continue
                B = A[diff].copy()
                B[:, j] = self.fill_[j]
                C[diff, j] = base[diff] - self._proba_matrix(B)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(C, index=index, columns=list(self.feature_names_in_))

    def explain(self, X: Any, top: int = 3) -> pd.DataFrame:
        """Churn risk and the ``top`` features that push it up the most, per customer.

        See :meth:`contributions` for the units (log-odds for the logistic
        model, probability points for gradient boosting). Only positive
        contributions are listed (a customer with a low risk may have none).

        Args:
            X: Features (indexed by ``customer_id``).
            top: Features per customer.

        Returns:
            DataFrame indexed like ``X``: ``churn_risk``, ``explanation``
            (``"silent_unsolved=1 (+0.84); days_since_problem=12 (+0.51)"``),
            ``top_features`` (list of ``{"feature", "value", "contribution"}``)
            and flat ``feature_<i>`` / ``value_<i>`` / ``contribution_<i>`` columns.
        """
        C = self.contributions(X)
        A = self._filled(self._matrix(X))
        names = list(self.feature_names_in_)
        risk = self._proba_matrix(A)
        order = np.argsort(-C.to_numpy(), axis=1, kind="stable")[:, :top]
        cvals = C.to_numpy()
        rows_tf: list[list[dict[str, Any]]] = []
        text: list[str] = []
        for i in range(len(A)):
            items = []
            for j in order[i]:
                if cvals[i, j] <= 0:
                    break
                items.append(
                    {"feature": names[j], "value": float(A[i, j]), "contribution": round(float(cvals[i, j]), 4)}
                )
            rows_tf.append(items)
            text.append("; ".join(f"{d['feature']}={_fmt(d['value'])} (+{d['contribution']:.2f})" for d in items))
        out = pd.DataFrame({"churn_risk": risk, "explanation": text, "top_features": rows_tf}, index=C.index)
        for k in range(top):
            out[f"feature_{k + 1}"] = [r[k]["feature"] if len(r) > k else None for r in rows_tf]
            out[f"value_{k + 1}"] = [r[k]["value"] if len(r) > k else np.nan for r in rows_tf]
            out[f"contribution_{k + 1}"] = [r[k]["contribution"] if len(r) > k else np.nan for r in rows_tf]
        return out

    # ---- persistence (to_disk / from_disk: the one save / load verb of voc; save / load kept for one release)
    def to_disk(self, path: str | Path) -> Path:
        """Save to the directory ``path`` without pickle.

        Files: ``churn_model.json`` (parameters, feature names, scores) and
        ``churn_model.safetensors`` (arrays; ``.npz`` when safetensors is not
        installed); a gradient boosting model adds ``churn_gbm.skops``, loaded
        back with an explicit allow-list of types (:data:`SKOPS_TRUSTED`).

        Returns:
            The directory.
        """
        self._check_fitted()
        return _save_model(self, path)

    @classmethod
    def from_disk(cls, path: str | Path) -> ChurnModel:
        """Load a model written by :meth:`to_disk` (nothing is unpickled).

        Raises:
            ValueError: The directory does not hold a voc churn model, or the
                gradient boosting file contains types outside :data:`SKOPS_TRUSTED`.
        """
        return _load_model(cls, path)

    def save(self, path: str | Path) -> Path:
        """The old name of :meth:`to_disk` (kept for one release)."""
        return self.to_disk(path)

    @classmethod
    def load(cls, path: str | Path) -> ChurnModel:
        """The old name of :meth:`from_disk` (kept for one release)."""
        return cls.from_disk(path)


def _customer_groups(X: Any) -> pd.Series | None:
    """Customer id per row of a feature frame (the last index level of stacked snapshots)."""
    if not isinstance(X, pd.DataFrame):
        return None
    return pd.Series(X.index.get_level_values(-1))


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.3g}"
