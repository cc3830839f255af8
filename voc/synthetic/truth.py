"""The planted truth: the per-customer truth table and its problem levels.

Problem levels follow :func:`voc.customers.problem_level_rule`, the rule profiles use too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _truth_levels(truth: pd.DataFrame, contacts: pd.DataFrame, grace_days: float = 7.0) -> pd.Series:
    """The truth ``problem_level`` (seed 001 rule) from the truth columns and the contacts table."""
    start = truth["problem_start"].reindex(contacts["customer_id"]).to_numpy()
    after = contacts["timestamp"].to_numpy() >= start - np.timedelta64(int(grace_days * 86400), "s")
    n = contacts.loc[after, "customer_id"].value_counts().reindex(truth.index, fill_value=0)
    n = n.where(truth["has_problem"], 0)
    from voc.customers import problem_level_rule

    level = problem_level_rule(
        truth["has_problem"], truth["solved"].fillna(False), truth["recurring"], n.to_numpy()
    )
    return pd.Series(level, index=truth.index)


def _truth_table(truth_rows: list[dict[str, Any]], grace_days: float = 7.0) -> pd.DataFrame:
    """Step 3 of :func:`voc.synthetic.generate_history`: the truth table from the per-customer rows.

    ``contacted`` = a contact from ``problem_start - grace_days`` on; ``silent`` = a problem
    and no such contact; ``problem_level`` by :func:`voc.customers.problem_level_rule`. Pops
    the private ``_contacts`` list of each row.
    """
    from voc.customers import problem_level_rule

    n_contacts = []
    for r in truth_rows:
        contacts = r.pop("_contacts")
        n_contacts.append(sum(c >= r["problem_start"] - grace_days for c in contacts) if r["has_problem"] else 0)
    truth = pd.DataFrame(truth_rows)
    truth["contacted"] = np.array(n_contacts) > 0
    truth["silent"] = truth["has_problem"] & ~truth["contacted"]
    truth["problem_level"] = problem_level_rule(
        truth["has_problem"], truth["solved"].fillna(False).astype(bool), truth["recurring"], np.array(n_contacts)
    )
    return truth
