"""``voc.History``: the customer tables checked once, the one way into the customer half.

A :class:`History` holds the four tables of :mod:`voc.customers` (feedback, contacts,
events, customers), validated once by :mod:`voc.schema` (aliases renamed, ids as text,
booleans parsed, bad rows flagged in ``validation_error``, never dropped), one reference
time ``as_of`` (default: the latest timestamp) and the analyzer, run at most once
(:attr:`History.feedback_analyzed`, cached; :attr:`History.profiles` likewise). Every
table-level function takes it as first argument::

    import voc
    h = voc.History.from_frames(feedback, contacts, events, customers)   # or voc.History.read("dir/")
    prof = voc.profile_customers(h)            # == h.profiles
    personas = voc.assign_personas(h)
    model = voc.discover_issues(h)             # an IssueModel: issues_, assignment_
    voc.churn_by_issue(h, model)
    voc.who_else(h, 0, model=model)
    voc.repair.build_repair_queue(h)
    voc.churn.churn_features(h, as_of="2024-10-01")
    h.to_disk("history/"); voc.History.from_disk("history/")

Example:
    >>> import pandas as pd
    >>> fb = pd.DataFrame({"text": ["物流太慢"], "timestamp": ["2024-05-01"], "channel": ["app"],
    ...                    "customer_id": [101.0]})
    >>> h = History.from_frames(fb)
    >>> h.feedback["customer_id"].tolist(), str(h.as_of.date())
    (['101'], '2024-05-01')
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from voc.schema import (
    CUSTOMERS,
    ERROR_COL,
    SCHEMAS,
    VALIDATED_ATTR,
    apply_aliases,
    as_timestamp,
    default_as_of,
    empty_table,
    parse_list,
    unknown_columns,
    usable,
    validate,
)

__all__ = ["TABLES", "History", "HistoryWarning", "read_frame"]

#: The tables of a history, in order.
TABLES: tuple[str, ...] = ("feedback", "contacts", "events", "customers")
_READ_SUFFIXES = (".parquet", ".csv", ".tsv", ".jsonl", ".json", ".xlsx")
_META = "history.json"
_FORMAT_VERSION = 1


class HistoryWarning(UserWarning):
    """Something in the input tables was renamed, ignored or flagged (the data is still usable)."""


def read_frame(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """Read one customer table with :func:`voc.tables.read_frame`, identifier columns as text
    (long ids keep every digit).

    Raises:
        ValueError: Unknown extension, missing file or unreadable content.
    """
    from voc.tables import read_frame as read_any

    ids = {c: str for c in ("customer_id", "order_id", "order_no", "user_id", "订单号", "phone", "phone_masked")}
    return read_any(path, encoding, dtype=None if Path(path).suffix.lower() == ".parquet" else ids)


def _columns_for(columns: Mapping[str, Any] | None, table: str) -> dict[str, str]:
    """The ``{their name: canonical}`` renames for one table from the ``columns`` argument."""
    if not columns:
        return {}
    if any(isinstance(v, Mapping) for v in columns.values()):
        unknown = set(columns) - set(TABLES)
        if unknown:
            raise ValueError(f"columns: unknown table(s) {sorted(unknown)}; use {list(TABLES)}")
        return dict(columns.get(table) or {})
    return dict(columns)


class History:
    """Customer tables checked once, with one ``as_of`` and a cached analysis.

    Build it with :meth:`from_frames`, :meth:`read` or :meth:`from_disk`.

    Attributes:
        feedback: Validated feedback, every input row (bad rows flagged in ``validation_error``).
        contacts: Validated contacts (an empty table when none were given).
        events: Validated events (an empty table when none were given).
        customers: Validated customers table or ``None``.
        as_of: Reference time of every computation (default: the latest timestamp).
        nlp: Analyzer for unanalyzed feedback (``None``: the shipped models).
        renamed: ``{table: {old: new}}`` columns renamed by ``columns`` and the aliases.
        unknown: ``{table: [column, ...]}`` columns kept but not used by voc.
        invalid_rows: ``{table: number of flagged rows}``.
        n_analyzer_runs: How many times the analyzer ran (0 or 1).
        profile_options: Settings of :func:`voc.profile_customers` used for :attr:`profiles`
            (e.g. ``{"silent_window_days": 180}``; default: none, the documented defaults).
    """

    def __init__(
        self,
        feedback: pd.DataFrame,
        contacts: pd.DataFrame,
        events: pd.DataFrame,
        customers: pd.DataFrame | None,
        *,
        as_of: pd.Timestamp,
        nlp: Any = None,
        renamed: dict[str, dict[str, str]] | None = None,
        unknown: dict[str, list[str]] | None = None,
        profile_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.feedback = feedback
        self.contacts = contacts
        self.events = events
        self.customers = customers
        self.as_of = as_of
        self.nlp = nlp
        self.renamed = renamed or {}
        self.unknown = unknown or {}
        self.profile_options = dict(profile_options or {})
        self.n_analyzer_runs = 0
        self._analyzed: pd.DataFrame | None = None
        self._profiles: pd.DataFrame | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def from_frames(
        cls,
        feedback: pd.DataFrame,
        contacts: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
        customers: pd.DataFrame | None = None,
        *,
        as_of: Any = None,
        nlp: Any = None,
        columns: Mapping[str, Any] | None = None,
        profile_options: Mapping[str, Any] | None = None,
    ) -> History:
        """Check the tables once and build a history.

        Args:
            feedback: One row per text: ``text``, ``timestamp``, ``channel``; optional
                ``customer_id`` (rows without one are anonymous), the analyzer columns.
            contacts: Contacts with customer service (``customer_id``, ``channel``, ``timestamp``).
            events: Behaviour (``customer_id``, ``timestamp``, ``type``; ``amount``, ``score``, ``detail``).
            customers: Master table (``customer_id``; ``signup_date``, ``verified``).
            as_of: Reference time; ``None``: the latest timestamp of feedback, contacts and events.
            nlp: Analyzer for feedback without the analysis columns (``None``: the shipped models).
            columns: Renames ``{their name: canonical}`` for every table, or
                ``{table: {their name: canonical}}``; aliases (:data:`voc.schema.ALIASES`,
                e.g. ``phone_masked`` -> ``phone``) are applied after them.
            profile_options: Settings of :func:`voc.profile_customers` for :attr:`profiles`
                (and so for every function that uses them).

        Returns:
            The history. A :class:`HistoryWarning` names renamed and unknown columns and
            counts flagged rows.

        Raises:
            ValueError: A table is not a DataFrame, misses a required column, or has a column
                of an impossible dtype; ``as_of`` is not a time.
        """
        given = {"feedback": feedback, "contacts": contacts, "events": events, "customers": customers}
        if feedback is None:
            raise ValueError("History.from_frames: feedback is required (a DataFrame with text, timestamp, channel)")
        tables: dict[str, pd.DataFrame | None] = {}
        renamed: dict[str, dict[str, str]] = {}
        unknown: dict[str, list[str]] = {}
        notes: list[str] = []
        for name, df in given.items():
            schema = SCHEMAS[name]
            if df is None:
                tables[name] = None if name == "customers" else empty_table(schema)
                continue
            if not isinstance(df, pd.DataFrame):
                raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
            df, ren = apply_aliases(df, schema, _columns_for(columns, name))
            out = validate(df, schema)
            tables[name] = out
            if ren:
                renamed[name] = ren
                notes.append(f"{name}: renamed {ren}")
            unk = unknown_columns(out, schema)
            if unk:
                unknown[name] = unk
                notes.append(f"{name}: column(s) {unk} are not used by voc (kept)")
            n_bad = int(out[ERROR_COL].notna().sum())
            if n_bad:
                examples = out.loc[out[ERROR_COL].notna(), ERROR_COL].value_counts().head(3).to_dict()
                notes.append(f"{name}: {n_bad} of {len(out)} rows flagged and left out: {examples}")
        fb = tables["feedback"]
        assert fb is not None
        if "customer_id" not in fb.columns:
            fb = fb.assign(customer_id=pd.Series([None] * len(fb), index=fb.index, dtype=object))
            fb.attrs[VALIDATED_ATTR] = "feedback"
        if as_of is None:
            as_of = default_as_of([usable(t, n, warn=False) for n, t in tables.items() if t is not None and n != "customers"])
        else:
            as_of = as_timestamp(as_of)
        if notes:
            warnings.warn("History: " + "; ".join(notes), HistoryWarning, stacklevel=2)
        ct, ev = tables["contacts"], tables["events"]
        assert ct is not None and ev is not None
        return cls(fb, ct, ev, tables["customers"], as_of=as_of, nlp=nlp, renamed=renamed, unknown=unknown,
                   profile_options=profile_options)

    @classmethod
    def read(
        cls,
        dir_or_paths: str | Path | Mapping[str, str | Path] | Sequence[str | Path],
        *,
        as_of: Any = None,
        nlp: Any = None,
        columns: Mapping[str, Any] | None = None,
        encoding: str | None = None,
        profile_options: Mapping[str, Any] | None = None,
    ) -> History:
        """Read the tables from files (CSV / TSV / JSONL / Parquet) and build a history.

        Args:
            dir_or_paths: A folder holding ``feedback.*`` and optionally ``contacts.*``,
                ``events.*``, ``customers.*`` (a folder written by :meth:`to_disk` is read
                with :meth:`from_disk`); a mapping ``{table: path}``; or a list of paths
                whose file names (without extension) are the table names.
            as_of: See :meth:`from_frames`.
            nlp: See :meth:`from_frames`.
            columns: See :meth:`from_frames`.
            profile_options: See :meth:`from_frames`.
            encoding: Text encoding of CSV / TSV files (default: UTF-8, else GB18030).

        Raises:
            ValueError: No feedback file, an unknown table name, or an unreadable file.
        """
        paths: dict[str, Path] = {}
        if isinstance(dir_or_paths, (str, Path)) and Path(dir_or_paths).is_dir():
            folder = Path(dir_or_paths)
            if (folder / _META).is_file():
                return cls.from_disk(folder, nlp=nlp)  # saved as_of and profile options
            for name in TABLES:
                found = [folder / f"{name}{s}" for s in _READ_SUFFIXES if (folder / f"{name}{s}").is_file()]
                if found:
                    paths[name] = found[0]
        elif isinstance(dir_or_paths, Mapping):
            paths = {str(k): Path(v) for k, v in dir_or_paths.items()}
        elif isinstance(dir_or_paths, (str, Path)):
            paths = {Path(dir_or_paths).stem: Path(dir_or_paths)}
        else:
            paths = {Path(p).stem: Path(p) for p in dir_or_paths}
        bad = set(paths) - set(TABLES)
        if bad:
            raise ValueError(f"History.read: unknown table(s) {sorted(bad)}; name the files {list(TABLES)}")
        if "feedback" not in paths:
            raise ValueError(f"History.read: no feedback table in {dir_or_paths!s} (feedback.csv / .jsonl / .parquet)")
        frames = {name: read_frame(p, encoding) for name, p in paths.items()}
        if "feedback" in frames:
            frames["feedback"] = _decode_nested(frames["feedback"])
        return cls.from_frames(
            frames["feedback"], frames.get("contacts"), frames.get("events"), frames.get("customers"),
            as_of=as_of, nlp=nlp, columns=columns, profile_options=profile_options,
        )

    def unpack(self, caller: str, *others: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
        """``(analyzed feedback, contacts, events, customers)`` for a function given this history.

        Args:
            caller: The function's name, for the message.
            *others: The other tables the caller was given: all must be ``None``.

        Raises:
            TypeError: A table was passed besides the history.
        """
        if any(o is not None for o in others):
            raise TypeError(f"{caller}(history): the tables come from the History; pass no others")
        return self.feedback_analyzed, self.contacts, self.events, self.customers

    # ------------------------------------------------------------------ cached results
    @property
    def feedback_analyzed(self) -> pd.DataFrame:
        """The feedback with the analyzer columns; the analyzer runs once, on first use.

        Feedback that already has them (``sentiment``) is used as it is.
        """
        if self._analyzed is None:
            fb = self.feedback
            if "sentiment" not in fb.columns:
                from voc.frame import analyze_frame

                fb = analyze_frame(fb, text_col="text", nlp=self.nlp)
                self.n_analyzer_runs += 1
                fb.attrs[VALIDATED_ATTR] = "feedback"
            self._analyzed = fb
        return self._analyzed

    @property
    def profiles(self) -> pd.DataFrame:
        """:func:`voc.profile_customers` with :attr:`profile_options`, computed once."""
        if self._profiles is None:
            from voc.customers import profile_customers

            self._profiles = profile_customers(self, **self.profile_options)
        return self._profiles

    def profile(self, **kwargs: Any) -> pd.DataFrame:
        """:func:`voc.profile_customers` of this history with other settings (not cached)."""
        from voc.customers import profile_customers

        if not kwargs:
            return self.profiles
        return profile_customers(self, **{**self.profile_options, **kwargs})

    @property
    def invalid_rows(self) -> dict[str, int]:
        """Flagged rows per table."""
        return {n: int(t[ERROR_COL].notna().sum()) for n, t in self._tables().items() if t is not None}

    def usable(self, table: str) -> pd.DataFrame:
        """The rows of ``table`` without a validation error (feedback: analyzed, running the analyzer once)."""
        df = self.feedback_analyzed if table == "feedback" else self._tables()[table]
        if df is None:
            return empty_table(CUSTOMERS)
        return usable(df, table, warn=False)

    def _tables(self) -> dict[str, pd.DataFrame | None]:
        return {"feedback": self.feedback, "contacts": self.contacts, "events": self.events,
                "customers": self.customers}

    def __repr__(self) -> str:
        n = {k: (len(v) if v is not None else 0) for k, v in self._tables().items()}
        ids = pd.concat([t["customer_id"] for t in self._tables().values() if t is not None]).dropna().nunique()
        return (f"History({n['feedback']} feedback, {n['contacts']} contacts, {n['events']} events, "
                f"{n['customers']} customers rows; {ids} customer ids; as_of={self.as_of}; "
                f"analyzed={self._analyzed is not None})")

    # ------------------------------------------------------------------ persistence
    def to_disk(self, path: str | Path, *, format: str | None = None) -> Path:  # noqa: A002
        """Save the tables (feedback analyzed when it was) and ``as_of``: no pickle.

        Args:
            path: A folder (created). It gets one file per table and ``history.json``.
            format: ``"parquet"`` (needs pyarrow) or ``"csv"``; default parquet when
                pyarrow is installed, else csv. List and dict cells are stored as JSON text.

        Returns:
            The folder.
        """
        from voc._write import atomic_write

        if format is None:
            try:
                import pyarrow  # noqa: F401

                format = "parquet"  # noqa: A001
            except ImportError:
                format = "csv"  # noqa: A001
        if format not in ("parquet", "csv"):
            raise ValueError(f"format must be 'parquet' or 'csv', got {format!r}")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        meta: dict[str, Any] = {
            "format_version": _FORMAT_VERSION,
            "format": format,
            "as_of": self.as_of.isoformat(),
            "profile_options": self.profile_options,
            "analyzed": self._analyzed is not None and "sentiment" in self.usable("feedback").columns,
            "tables": {},
        }
        tables = self._tables()
        if self._analyzed is not None:
            tables["feedback"] = self._analyzed
        for name, df in tables.items():
            if df is None:
                continue
            flat, json_cols = _flatten(df)
            dtypes = {str(c): _kind(df[c]) for c in df.columns}
            fname = f"{name}.{format}"
            if format == "csv":
                atomic_write(folder / fname, lambda p, f=flat: f.to_csv(p, index=False, encoding="utf-8"))
            else:
                atomic_write(folder / fname, lambda p, f=flat: f.to_parquet(p, index=False))
            meta["tables"][name] = {"file": fname, "json_columns": json_cols, "dtypes": dtypes}
        text = json.dumps(meta, ensure_ascii=False, indent=2)
        atomic_write(folder / _META, lambda p: p.write_text(text, encoding="utf-8"))
        return folder

    @classmethod
    def from_disk(cls, path: str | Path, *, nlp: Any = None) -> History:
        """Load a history written by :meth:`to_disk` (no re-analysis when it was analyzed).

        Raises:
            ValueError: ``path`` holds no ``history.json`` or a file it names is missing.
        """
        from voc._write import read_saved_meta

        folder = Path(path)
        meta_path = folder / _META
        meta = read_saved_meta(folder, _META, "History", _FORMAT_VERSION)
        frames: dict[str, pd.DataFrame] = {}
        for name, info in meta["tables"].items():
            if name not in TABLES:
                raise ValueError(f"{meta_path}: unknown table {name!r}")
            file = (folder / info["file"]).resolve()
            if folder.resolve() not in file.parents:
                raise ValueError(f"{meta_path}: table file {info['file']!r} is outside the folder")
            if not file.is_file():
                raise ValueError(f"{meta_path}: missing table file {info['file']!r}")
            if meta["format"] == "csv":
                kinds = info.get("dtypes", {})
                text_cols = {c: str for c, k in kinds.items() if k in ("id", "text")}
                df = pd.read_csv(file, dtype=text_cols, keep_default_na=True)
            else:
                df = pd.read_parquet(file)
            frames[name] = _restore(df, info)
        h = cls.from_frames(
            frames["feedback"], frames.get("contacts"), frames.get("events"), frames.get("customers"),
            as_of=meta["as_of"], nlp=nlp, profile_options=meta.get("profile_options"),
        )
        if meta.get("analyzed"):
            h._analyzed = h.feedback
        return h


# --------------------------------------------------------------------------- helpers
def _kind(col: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(col):
        return "datetime"
    if pd.api.types.is_bool_dtype(col):
        return "bool"
    if pd.api.types.is_numeric_dtype(col):
        return "number"
    if col.name in ("customer_id", "order_id", "phone", "nickname"):
        return "id"
    return "text"


def _flatten(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """List / dict cells as JSON text; returns the frame and the names of those columns."""
    out = df.copy()
    json_cols = []
    for c in out.columns:
        if out[c].dtype != object:
            continue
        vals = out[c].dropna()
        if len(vals) and vals.map(lambda v: isinstance(v, (list, tuple, dict)) or hasattr(v, "tolist")).any():
            json_cols.append(str(c))
            out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                                else json.dumps(v.tolist() if hasattr(v, "tolist") else v, ensure_ascii=False,
                                                default=str))
    return out, json_cols


def _restore(df: pd.DataFrame, info: Mapping[str, Any]) -> pd.DataFrame:
    for c in info.get("json_columns", []):
        if c in df.columns:
            df[c] = df[c].map(lambda v: json.loads(v) if isinstance(v, str) and v else None)
    for c, k in info.get("dtypes", {}).items():
        if c not in df.columns:
            continue
        if k == "datetime":
            df[c] = pd.to_datetime(df[c], errors="coerce")
        elif k == "text" and c not in info.get("json_columns", []):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


_NESTED_LISTS = ("non_complaint_reasons", "behaviors", "aspects")


def _decode_nested(df: pd.DataFrame) -> pd.DataFrame:
    """Analyzer list columns read from a flat file (``a|b`` or JSON text) back as lists."""
    for c in _NESTED_LISTS:
        if c in df.columns and df[c].map(lambda v: isinstance(v, str)).any():
            df[c] = df[c].map(parse_list)
    for c in ("evidence", *[x for x in df.columns if str(x).endswith("_scores")]):
        if c in df.columns and df[c].map(lambda v: isinstance(v, str) and v.startswith("{")).any():
            df[c] = df[c].map(_mapping)
    return df


def _mapping(v: Any) -> Any:
    """A ``{...}`` cell written as JSON or as a Python literal (pandas' CSV of a dict) -> dict."""
    if not (isinstance(v, str) and v.startswith("{")):
        return v
    try:
        return json.loads(v)
    except ValueError:
        try:
            out = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            return v
        return out if isinstance(out, dict) else v
