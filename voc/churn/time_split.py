"""Time-aware training and evaluation: fit on earlier snapshots, test on a later one."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from voc.churn.evaluation import ChurnEvaluation
from voc.churn.features import _as_of, _features_at, _prepare, _stack
from voc.churn.model import MAX_FIT_ROWS, ChurnModel
from voc.customers import validate_events


@dataclass
class TimeSplit:
    """Result of :func:`fit_time_split`.

    Attributes:
        model: The fitted :class:`ChurnModel` (trained on the earlier snapshots).
        evaluation: Its :class:`ChurnEvaluation` on the later snapshot.
        X_train, y_train: Features and labels of the training snapshots (index
            ``(as_of, customer_id)``; a customer appears once per snapshot).
        X_test, y_test: Features and labels at ``test_as_of``.
        train_as_of: The training snapshot times.
        test_as_of: The test snapshot time.
    """

    model: ChurnModel
    evaluation: ChurnEvaluation
    X_train: pd.DataFrame = field(repr=False)
    y_train: pd.Series = field(repr=False)
    X_test: pd.DataFrame = field(repr=False)
    y_test: pd.Series = field(repr=False)
    train_as_of: list[pd.Timestamp] = field(default_factory=list)
    test_as_of: pd.Timestamp | None = None


def fit_time_split(
    data: Mapping[str, Any],
    train_as_of: Any,
    test_as_of: Any,
    *,
    horizon_days: float = 90,
    model: str | ChurnModel = "auto",
    assignment: pd.DataFrame | None = None,
    open_issues: Iterable[Any] | None = None,
    silent_window_days: float = 180,
    text_col: str = "text",
    max_fit_rows: int | None = MAX_FIT_ROWS,
) -> TimeSplit:
    """Time-aware training and evaluation: fit on earlier snapshots, test on a later one.

    Features at a training snapshot use rows before it; its label is churn in
    ``[as_of, as_of + horizon_days)``, which must end by ``test_as_of``, so no
    training label overlaps the test period. Several training snapshots (e.g.
    monthly) are stacked. The test snapshot is built the same way at
    ``test_as_of``, from the customers still active then. Model selection
    (``model="auto"``) holds out 25 % of the training *customers*; the test
    snapshot is never seen before the evaluation.

    Args:
        data: ``{"feedback", "contacts", "events"[, "customers"][, "assignment"]}``
            (e.g. the output of :func:`voc.synthetic.generate_history`).
        train_as_of: Training snapshot time, or a list of them.
        test_as_of: Test snapshot (>= the last training snapshot + ``horizon_days``).
        horizon_days: Label horizon.
        model: ``"auto"`` / ``"logistic"`` / ``"gbm"`` or an unfitted :class:`ChurnModel`.
        assignment: Issue assignment (default ``data.get("assignment")``).
        open_issues: Issue ids that count as open.
        silent_window_days: Window of the silent flag.
        text_col: Text column.
        max_fit_rows: Most stacked snapshot rows a model is fitted on (see
            :class:`ChurnModel`; default 250,000, about 74,000 customers with four
            snapshots; ``None`` = every row). Above it each model is fitted on a
            class-stratified random sample of that many rows (fixed seed); the
            features, the hold-out validation and the test evaluation use every
            row. Ignored when ``model`` is a :class:`ChurnModel` (its own
            ``max_fit_rows`` applies).

    Returns:
        A :class:`TimeSplit`.

    Raises:
        ValueError: Missing tables, or training labels that reach past ``test_as_of``.
    """
    many = isinstance(train_as_of, (list, tuple, pd.Index, pd.Series, np.ndarray))
    trs = sorted(_as_of(t) for t in (train_as_of if many else [train_as_of]))
    te = _as_of(test_as_of)
    if not trs:
        raise ValueError("fit_time_split: no training snapshot")
    if trs[-1] + pd.Timedelta(days=horizon_days) > te:
        raise ValueError(
            f"fit_time_split: the training labels ({trs[-1].date()} + {horizon_days:g} days) reach past "
            f"test_as_of {te.date()}; move train_as_of earlier or shorten the horizon"
        )
    missing = [k for k in ("feedback", "contacts", "events") if k not in data]
    if missing:
        raise ValueError(f"fit_time_split: data lacks {missing}")
    ev = validate_events(data["events"])
    last = ev["timestamp"].max()
    if pd.notna(last) and te + pd.Timedelta(days=horizon_days) > last + pd.Timedelta(days=1):
        warnings.warn(
            f"fit_time_split: the data ends on {last.date()}, before the end of the test horizon "
            f"({(te + pd.Timedelta(days=horizon_days)).date()}); later churns are not in the labels",
            stacklevel=2,
        )
    if assignment is None:
        assignment = data.get("assignment")
    kw = {
        "horizon_days": horizon_days,
        "assignment": assignment,
        "open_issues": open_issues,
        "silent_window_days": silent_window_days,
        "text_col": text_col,
    }
    # the tables are validated once, for the training snapshots and the test snapshot alike
    # (the events checked above are passed on: validate() passes a validated table through)
    prepared = _prepare(data["feedback"], data["contacts"], ev, data.get("customers"), text_col)
    opts = {k: v for k, v in kw.items() if k != "horizon_days"}
    X_tr, y_tr = _stack(prepared, trs, horizon_days, opts)
    X_te, y_te = _features_at(prepared, as_of=te, horizon_days=horizon_days, include_churned=False, **opts)
    assert y_te is not None
    m = (
        ChurnModel(model=model, horizon_days=horizon_days, max_fit_rows=max_fit_rows)
        if isinstance(model, str)
        else model
    )
    m.fit(X_tr, y_tr)
    result = m.evaluate(X_te, y_te)
    m.metadata_ = {
        "train_as_of": [str(t) for t in trs],
        "test_as_of": str(te),
        "horizon_days": horizon_days,
        "test": {k: v for k, v in result.to_dict().items() if k != "calibration"},
    }
    return TimeSplit(m, result, X_tr, y_tr, X_te, y_te, trs, te)
