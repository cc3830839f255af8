"""The planted issues and the archetype leans that drive the simulation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["PlantedIssue", "DEFAULT_ISSUES", "ARCHETYPE_LEANS"]


@dataclass(frozen=True)
class PlantedIssue:
    """A recurring product/service problem the generator plants.

    Attributes:
        code: Stable identifier (``refund_delay`` ...).
        name_zh: Chinese name.
        aspects: Gold ``aspects`` of its texts.
        texts: ``(text, emotion, intent)`` complaint variants.
        signature: ``(event type, detail)`` logged when a customer hits the issue.
        churn_lift: Extra churn probability caused by the issue.
        weight: Relative frequency among affected customers.
    """

    code: str
    name_zh: str
    aspects: tuple[str, ...]
    texts: tuple[tuple[str, str, str], ...]
    signature: tuple[str, str]
    churn_lift: float
    weight: float = 1.0


#: The planted issues' data (names, aspects, complaint texts, signatures, churn lifts).
ISSUES_PATH = Path(__file__).parent.parent / "data" / "synthetic_issues.json"


@lru_cache(maxsize=1)
def _load_issues() -> tuple[PlantedIssue, ...]:
    """The :class:`PlantedIssue` objects of ``voc/data/synthetic_issues.json``, in file order (read once)."""
    rows = json.loads(ISSUES_PATH.read_text(encoding="utf-8"))
    return tuple(
        PlantedIssue(
            str(r["code"]),
            str(r["name_zh"]),
            tuple(r["aspects"]),
            tuple((str(t), str(e), str(i)) for t, e, i in r["texts"]),
            (str(r["signature"][0]), str(r["signature"][1])),
            churn_lift=float(r["churn_lift"]),
            weight=float(r.get("weight", 1.0)),
        )
        for r in rows
    )


DEFAULT_ISSUES: tuple[PlantedIssue, ...] = _load_issues()

#: Archetype lean -> (share of customers, chance of staying silent after a problem).
ARCHETYPE_LEANS: dict[str, tuple[float, float]] = {
    "凡人": (0.40, 0.75),
    "智者": (0.18, 0.65),
    "探险家": (0.14, 0.35),
    "照顾者": (0.10, 0.70),
    "叛逆者": (0.06, 0.50),
    "创造者": (0.06, 0.40),
    "统治者": (0.06, 0.30),
}
_REASONS_BY_ARCHETYPE: dict[str, tuple[tuple[str, float], ...]] = {
    "凡人": (
        ("channel_blocked", 0.3),
        ("let_it_go", 0.25),
        ("conflict_avoidance", 0.2),
        ("fear_retaliation", 0.1),
        ("privacy_concern", 0.15),
    ),
    "智者": (("self_reliance", 0.5), ("distrust_service", 0.5)),
    "探险家": (("self_reliance", 1.0),),
    "照顾者": (("not_bother", 1.0),),
}
