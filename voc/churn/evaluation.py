"""Scores of churn risks against outcomes: ROC-AUC, PR-AUC, Brier score, calibration."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class ChurnEvaluation:
    """Scores of churn risks against outcomes.

    Attributes:
        roc_auc: Area under the ROC curve.
        pr_auc: Average precision (area under the precision-recall curve).
        brier: Brier score (mean squared error of the risk).
        brier_base: Brier score of predicting the base rate for everyone.
        base_rate: Share of churners.
        n: Customers.
        n_positive: Churners.
        ece: Expected calibration error over the bins (|mean risk - observed|, weighted).
        calibration: One row per bin: ``bin``, ``n``, ``risk_min``, ``risk_max``,
            ``mean_risk``, ``observed_rate``, ``churned``.
        model: Model kind, if known.
    """

    roc_auc: float
    pr_auc: float
    brier: float
    brier_base: float
    base_rate: float
    n: int
    n_positive: int
    ece: float
    calibration: pd.DataFrame = field(repr=False)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (the calibration table as a list of records)."""
        out = {k: getattr(self, k) for k in ("roc_auc", "pr_auc", "brier", "brier_base", "base_rate", "n",
                                              "n_positive", "ece", "model")}
        out["calibration"] = json.loads(self.calibration.to_json(orient="records"))
        return out


def evaluate_risk(
    y: Any, risk: Any, *, bins: int = 10, strategy: str = "quantile", model: str | None = None
) -> ChurnEvaluation:
    """ROC-AUC, PR-AUC, Brier score and calibration of ``risk`` against outcomes ``y``.

    Args:
        y: True labels (1 = churned).
        risk: Predicted churn risks.
        bins: Calibration bins.
        strategy: ``"quantile"`` (equal-count bins) or ``"uniform"`` (equal width).
        model: Label stored in the result.

    Returns:
        A :class:`ChurnEvaluation`.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    yy = np.asarray(y, dtype=float).astype(int).ravel()
    p = np.asarray(risk, dtype=float).ravel()
    if len(yy) != len(p):
        raise ValueError(f"evaluate_risk: y and risk have different lengths: {len(yy)} != {len(p)}")
    both = len(np.unique(yy)) == 2
    base = float(yy.mean()) if len(yy) else float("nan")
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    elif strategy == "uniform":
        edges = np.linspace(0, 1, bins + 1)
    else:
        raise ValueError("strategy must be 'quantile' or 'uniform'")
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    df = pd.DataFrame({"bin": which, "risk": p, "y": yy})
    cal = df.groupby("bin").agg(
        n=("y", "size"), risk_min=("risk", "min"), risk_max=("risk", "max"), mean_risk=("risk", "mean"),
        observed_rate=("y", "mean"), churned=("y", "sum"),
    ).reset_index()
    ece = float((cal["n"] * (cal["mean_risk"] - cal["observed_rate"]).abs()).sum() / max(len(p), 1))
    return ChurnEvaluation(
        roc_auc=float(roc_auc_score(yy, p)) if both else float("nan"),
        pr_auc=float(average_precision_score(yy, p)) if both else float("nan"),
        brier=float(brier_score_loss(yy, p)) if len(p) else float("nan"),
        brier_base=float(np.mean((yy - base) ** 2)) if len(p) else float("nan"),
        base_rate=base,
        n=int(len(yy)),
        n_positive=int(yy.sum()),
        ece=ece,
        calibration=cal,
        model=model,
    )
