"""Customer data for the customer sections: the optional contacts / events tables, and guarded calls.

The customer sections use optional modules (:mod:`voc.customers`, :mod:`voc.personas`,
:mod:`voc.issues`, :mod:`voc.churn`); the helpers here look them up, check signatures and
turn their warnings and errors into notes, so a failing optional step never sinks the report.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


def _fits(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return False
    return True


def _lookup(module: str, *names: str) -> list[Callable[..., Any]] | str:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return f"{module} is not available in this installation."
    missing = [n for n in names if not callable(getattr(mod, n, None))]
    if missing:
        return f"{module} has no {', '.join(missing)}."
    return [getattr(mod, n) for n in names]


def _one_line(e: BaseException) -> str:
    msg = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {msg}"


@dataclass
class _History:
    """The optional ``contacts`` / ``events`` tables, checked and with parsed timestamps."""

    contacts: pd.DataFrame
    events: pd.DataFrame
    given: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    #: The :class:`voc.History` of the customer feedback and these tables, once built.
    history: Any = None


def _make_history(cf: pd.DataFrame, tables: _History, notes: list[str], *, use_tables: bool = True) -> Any:
    """The one :class:`voc.History` of the report's customer feedback (analyzed already) and the
    given contacts / events tables; column warnings are left out of the notes (the report's
    feedback carries any columns), flagged rows are noted."""
    from voc.history import History, HistoryWarning

    contacts = tables.contacts if use_tables and "contacts" in tables.given else None
    events = tables.events if use_tables and "events" in tables.given else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HistoryWarning)
        h = History.from_frames(cf, contacts, events)
    bad = {k: v for k, v in h.invalid_rows.items() if v}
    if bad:
        notes.append("Rows left out of the customer profiles (unreadable values): "
                     + ", ".join(f"{v} in {k}" for k, v in bad.items()) + ".")
    tables.history = h
    return h


def _history_tables(extra: dict[str, pd.DataFrame | None]) -> _History:
    """Check ``contacts`` / ``events`` with :mod:`voc.schema` (the one validator): a table without its
    required columns or with an impossible column is left out with a note; flagged rows are left
    out with a note."""
    from voc.schema import ERROR_COL, SCHEMAS, apply_aliases, empty_table, usable, validate

    tables = {name: empty_table(SCHEMAS[name]) for name in ("contacts", "events")}
    given: set[str] = set()
    notes: list[str] = []
    for name in ("contacts", "events"):
        t = extra.get(name)
        if t is None:
            continue
        schema = SCHEMAS[name]
        required = list(schema.required)
        missing = [c for c in required if c not in apply_aliases(t, schema)[0].columns]
        if missing:
            notes.append(f"The {name} table lacks column(s) {', '.join(missing)} (needs {', '.join(required)}); "
                         "it is left out.")
            continue
        try:
            checked = validate(t, schema)
        except ValueError as e:
            notes.append(f"The {name} table: {str(e).split(';')[0]}; it is left out.")
            continue
        n_bad = int(checked[ERROR_COL].notna().sum())
        if n_bad:
            notes.append(f"{n_bad} row(s) of the {name} table without a customer, a type or a readable value "
                         "are left out.")
        tables[name] = usable(checked, name, warn=False).reset_index(drop=True)
        given.add(name)
    return _History(tables["contacts"], tables["events"], given, notes)


def _customer_feedback(fb: pd.DataFrame, times: pd.Series) -> pd.DataFrame:
    cf = fb.copy()
    cf["timestamp"] = times.reindex(cf.index)
    if "channel" not in cf.columns:
        cf["channel"] = "unknown"
    cf["channel"] = cf["channel"].fillna("unknown").astype(str)
    return cf[cf["customer_id"].notna() & cf["timestamp"].notna()]


def _call_quiet(fn: Callable[..., Any], notes: list[str], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    for w in caught:
        line = str(w.message).splitlines()[0] if str(w.message) else ""
        if line and line not in notes and issubclass(w.category, UserWarning):
            notes.append(line)
    return out
