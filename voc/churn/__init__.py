"""Churn risk, per-issue churn forecast and win-back lists (seed 004).

Seed 004: about 98 % of dissatisfied customers never speak up, 91 % of those
whose problem stays unsolved after contacting service leave, and a lost
customer costs 6-7 times a new one. This module predicts churn *before* it
happens, says how many customers an unfixed issue will still cost, and lists
the customers an issue drove away once it is fixed.

* :func:`churn_features` builds one row of features per active customer from
  the four tables of :mod:`voc.customers`, using **only rows strictly before**
  ``as_of``, and the label "churn event in ``[as_of, as_of + horizon_days)``".
* :class:`ChurnModel` (scikit-learn estimator) is a logistic regression or a
  histogram gradient boosting classifier, chosen by validation ROC-AUC;
  :meth:`ChurnModel.evaluate` gives ROC-AUC, PR-AUC, Brier score and a
  calibration table, :meth:`ChurnModel.explain` the top contributing features
  of each score, :meth:`ChurnModel.to_disk` / :meth:`ChurnModel.from_disk` persist it
  without pickle.
* :func:`fit_time_split` is the time-aware protocol: features and labels at an
  earlier snapshot for training, at a later one for testing.
* :func:`issue_forecast` (+ :func:`plot_issue_forecast`): per open issue, the
  customers affected (vocal + silent), the expected further churn if it stays
  unfixed, the value at risk and the high-value customers at risk.
* :func:`winback_list`: once an issue is fixed, the customers it affected who
  churned or went quiet, ranked by value x win-back likelihood, with a message
  per archetype and non-complaint reason (seed 000 strategies).

The package is split by responsibility; import everything from ``voc.churn``:

* :mod:`voc.churn.features`: :func:`churn_features`, :func:`snapshots`,
  :func:`churn_labels`, :func:`features_from_profiles` and :data:`FEATURES`;
* :mod:`voc.churn.model`: :class:`ChurnModel`;
* :mod:`voc.churn.evaluation`: :class:`ChurnEvaluation`, :func:`evaluate_risk`;
* :mod:`voc.churn.persistence`: saving and loading a :class:`ChurnModel`
  without pickle (:data:`SKOPS_TRUSTED`);
* :mod:`voc.churn.time_split`: :func:`fit_time_split`, :class:`TimeSplit`;
* :mod:`voc.churn.forecast`: :func:`issue_forecast`, :func:`plot_issue_forecast`;
* :mod:`voc.churn.winback`: :func:`winback_list`.

Example:
    >>> from voc.synthetic import generate_history
    >>> from voc.churn import churn_features
    >>> h = generate_history(n_customers=300, seed=1)
    >>> X, y = churn_features(h["feedback"], h["contacts"], h["events"], h["customers"],
    ...                       as_of="2024-10-01", horizon_days=60)
    >>> bool(X.index.is_unique) and len(X) == len(y)
    True
"""

from __future__ import annotations

from voc.churn.evaluation import ChurnEvaluation, evaluate_risk
from voc.churn.features import CAP_DAYS as CAP_DAYS
from voc.churn.features import (
    FEATURES,
    INFO_COLUMNS,
    REASON_CODES,
    churn_features,
    churn_labels,
    features_from_profiles,
    snapshots,
)
from voc.churn.features import NEGATIVE_EMOTIONS as NEGATIVE_EMOTIONS
from voc.churn.features import STAGE_CODES as STAGE_CODES
from voc.churn.forecast import issue_forecast, plot_issue_forecast
from voc.churn.model import KINDS as KINDS
from voc.churn.model import ChurnModel
from voc.churn.persistence import MODEL_FORMAT as MODEL_FORMAT
from voc.churn.persistence import SKOPS_TRUSTED
from voc.churn.time_split import TimeSplit, fit_time_split
from voc.churn.winback import winback_list

__all__ = [
    "FEATURES",
    "INFO_COLUMNS",
    "REASON_CODES",
    "SKOPS_TRUSTED",
    "ChurnModel",
    "ChurnEvaluation",
    "TimeSplit",
    "churn_features",
    "churn_labels",
    "evaluate_risk",
    "features_from_profiles",
    "fit_time_split",
    "snapshots",
    "issue_forecast",
    "plot_issue_forecast",
    "winback_list",
]
