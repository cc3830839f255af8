"""One schema for the customer tables: column names and aliases, dtypes, booleans, list cells.

Every module of the customer half reads its tables through this module:

* :data:`FEEDBACK`, :data:`CONTACTS`, :data:`EVENTS`, :data:`CUSTOMERS` -- the columns of
  each table and their kinds; :func:`validate` checks a table once and returns a parsed
  copy with a ``validation_error`` column (bad rows are flagged, never dropped).
* :data:`ALIASES` -- other names of a column (``phone_masked`` -> ``phone``, ``order_no`` ->
  ``order_id``, ``时间`` -> ``timestamp`` ...); :func:`apply_aliases` renames them.
* Identifiers are text, never floats: :func:`id_str` turns ``123.0`` into ``"123"``.
* :func:`parse_bool` is the one boolean parser (``true/false``, ``1/0``, ``yes/no``, ``是/否``,
  ``已解决/未解决`` ...); :func:`parse_list` the one list-cell parser (lists, arrays, JSON
  lists, ``a|b``, ``a,b``, ``a;b``).
* :func:`default_as_of` is the one default reference time: the latest timestamp.

Examples:
    >>> parse_bool("已解决"), parse_bool("否"), parse_bool(None)
    (True, False, None)
    >>> parse_list("物流|客服, 退款")
    ['物流', '客服', '退款']
    >>> id_str(2024051212345678.0)
    '2024051212345678'
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ALIASES",
    "CONTACTS",
    "CUSTOMERS",
    "ERROR_COL",
    "EVENTS",
    "FALSE_VALUES",
    "FEEDBACK",
    "SCHEMAS",
    "TRUE_VALUES",
    "Schema",
    "apply_aliases",
    "default_as_of",
    "id_str",
    "id_str_column",
    "is_missing",
    "none_if_missing",
    "parse_bool",
    "parse_bool_column",
    "parse_list",
    "parse_list_column",
    "VALIDATED_ATTR",
    "as_timestamp",
    "empty_table",
    "unknown_columns",
    "usable",
    "validate",
]

#: Column holding the row-level validation messages (``None`` for good rows).
ERROR_COL = "validation_error"
#: ``DataFrame.attrs`` key marking a table :func:`validate` has parsed (its schema name).
VALIDATED_ATTR = "voc_schema"

#: Text read as ``True`` by :func:`parse_bool` (lower case, stripped).
TRUE_VALUES = frozenset({"true", "t", "1", "1.0", "yes", "y", "是", "对", "已解决", "解决", "resolved", "solved"})
#: Text read as ``False`` by :func:`parse_bool`.
FALSE_VALUES = frozenset(
    {"false", "f", "0", "0.0", "no", "n", "否", "不", "未解决", "没解决", "unresolved", "unsolved"}
)

#: Canonical column -> other names accepted for it (first present wins, when the canonical
#: name is absent). Shared by every table.
ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("user_id", "uid", "customer", "客户id", "客户ID", "用户id", "用户ID", "会员id"),
    "timestamp": ("time", "datetime", "created_at", "date", "时间", "日期"),
    "text": ("content", "comment", "review", "内容", "文本", "评论"),
    "channel": ("source", "渠道"),
    "type": ("event_type", "event", "类型"),
    "phone": ("phone_masked", "mobile", "手机号", "手机"),
    "nickname": ("nick", "昵称"),
    "order_id": ("order_no", "订单号"),
    "resolved": ("is_resolved", "是否解决"),
    "topic": ("reason", "主题"),
}

_FLOAT_ID_RE = re.compile(r"^-?\d+\.0+$")


@dataclass(frozen=True)
class Schema:
    """Columns of one input table.

    Attributes:
        name: Table name used in messages.
        required: ``{column: kind}`` that must be present.
        optional: ``{column: kind}`` checked only when present.
        known: Other columns some function reads (no warning for them).

    Kinds: ``"id"`` (text; numbers become text, ``1.0`` -> ``"1"``), ``"str"``,
    ``"datetime"``, ``"number"``, ``"bool"`` (see :func:`parse_bool`).
    """

    name: str
    required: dict[str, str]
    optional: dict[str, str]
    known: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """One-line description: ``name(required...; optional...)``."""
        req = ", ".join(f"{c}:{k}" for c, k in self.required.items())
        opt = ", ".join(f"{c}:{k}" for c, k in self.optional.items())
        return f"{self.name}({req}; optional {opt})"

    def columns(self) -> frozenset[str]:
        """Every column name this schema knows (required, optional and known)."""
        return frozenset(self.required) | frozenset(self.optional) | frozenset(self.known) | {ERROR_COL}


_IDENTITY = ("phone", "nickname")
FEEDBACK = Schema(
    "feedback",
    {"text": "str", "timestamp": "datetime", "channel": "str"},
    {"customer_id": "id", "order_id": "id"},
    (*_IDENTITY, "domain", "issue", "issue_id", "split", "id", "row_id", "rating", "resolved"),
)
CONTACTS = Schema(
    "contacts",
    {"customer_id": "id", "channel": "str", "timestamp": "datetime"},
    {"topic": "str", "resolved": "bool", "order_id": "id"},
    (*_IDENTITY, "text", "description", "summary", "transcript", "escalated", "agent", "duration", "case_id"),
)
EVENTS = Schema(
    "events",
    {"customer_id": "id", "timestamp": "datetime", "type": "str"},
    {"amount": "number", "score": "number", "detail": "str", "order_id": "id"},
    _IDENTITY,
)
CUSTOMERS = Schema(
    "customers",
    {"customer_id": "id"},
    {"signup_date": "datetime", "verified": "bool"},
    (*_IDENTITY, "segment", "value", "city", "age", "gender", "tier", "region"),
)
#: The four schemas by table name.
SCHEMAS: dict[str, Schema] = {s.name: s for s in (FEEDBACK, CONTACTS, EVENTS, CUSTOMERS)}


# --------------------------------------------------------------------------- cells
def is_missing(v: Any) -> bool:
    """Whether a cell is empty: ``None``, NaN / NaT / NA or blank text.

    Examples:
        >>> is_missing(float("nan")), is_missing("  "), is_missing(0)
        (True, True, False)
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    return isinstance(v, str) and not v.strip()


def id_str(v: Any) -> str | None:
    """An identifier as text: ``None`` when missing; ``1234.0`` (an id read as float) -> ``"1234"``.

    Examples:
        >>> id_str(42), id_str("C001 "), id_str("123.0"), id_str(float("nan"))
        ('42', 'C001', '123', None)
    """
    if is_missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    s = str(v).strip()
    return s[: s.index(".")] if _FLOAT_ID_RE.match(s) else s


def _all_text(col: pd.Series) -> bool:
    """Whether every non-missing cell of ``col`` is a ``str`` (text values hash and compare as text)."""
    return bool(len(col)) and pd.api.types.infer_dtype(col, skipna=True) == "string"


def id_str_column(col: pd.Series) -> pd.Series:
    """:func:`id_str` over a column: an object Series, same index, ``None`` for missing cells.

    A column of text converts each distinct value once (ids repeat: one customer, many events);
    any other column goes cell by cell. The values are those of ``col.astype(object).map(id_str)``
    either way, with ``None`` for every missing cell.
    """
    obj = col.astype(object)
    if _all_text(obj):
        codes, uniques = pd.factorize(obj, use_na_sentinel=True)
        conv = np.array([id_str(u) for u in uniques] + [None], dtype=object)  # code -1 (missing) -> None
        return pd.Series(conv[codes], index=col.index, dtype=object)
    return pd.Series([id_str(v) for v in obj], index=col.index, dtype=object)


def none_if_missing(col: pd.Series) -> pd.Series:
    """``col`` as an object Series with every missing cell (:func:`is_missing`) replaced by ``None``."""
    obj = col.astype(object)
    if _all_text(obj):
        codes, uniques = pd.factorize(obj, use_na_sentinel=True)
        miss = np.array([is_missing(u) for u in uniques] + [True], dtype=bool)
        vals = obj.to_numpy(dtype=object, copy=True)
        vals[miss[codes]] = None
        return pd.Series(vals, index=col.index, dtype=object)
    return pd.Series([None if is_missing(v) else v for v in obj], index=col.index, dtype=object)


def parse_bool(v: Any, *, strict: bool = False) -> bool | None:
    """The one boolean parser: ``True`` / ``False``, ``None`` when missing or unreadable.

    Args:
        v: A bool, a number (1 / 0) or text in :data:`TRUE_VALUES` / :data:`FALSE_VALUES`
            (case and surrounding spaces ignored).
        strict: Raise ``ValueError`` for an unreadable value instead of returning ``None``.

    Examples:
        >>> [parse_bool(x) for x in (True, 1, "Yes", "是", "已解决", "0", "未解决", "")]
        [True, True, True, True, True, False, False, None]
    """
    if is_missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)) and v in (0, 1):
        return bool(v)
    s = str(v).strip().lower()
    if s in TRUE_VALUES:
        return True
    if s in FALSE_VALUES:
        return False
    if strict:
        raise ValueError(f"not a boolean: {v!r}")
    return None


def parse_bool_column(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column with :func:`parse_bool`: ``(values as object True/False/None, bad mask)``."""
    if pd.api.types.is_bool_dtype(col) and not col.isna().any():
        return col.astype(object), pd.Series(False, index=col.index)
    vals = col.astype(object).map(parse_bool)
    bad = vals.isna() & ~col.astype(object).map(is_missing).astype(bool)
    return vals.astype(object), bad


def parse_list(v: Any) -> list[str]:
    """The one list-cell parser: a list cell as a list of strings.

    Lists, tuples, sets and arrays give their (non-missing) items as text; a JSON list
    (``'["a", "b"]'``) is decoded; other text is split on ``|``, ``,``, ``;`` (and the
    full-width ``，`` / ``；``); missing cells give ``[]``; another scalar gives ``[str(v)]``.

    Examples:
        >>> parse_list(["a", None, "b"]), parse_list('["x", "y"]'), parse_list(None)
        (['a', 'b'], ['x', 'y'], [])
    """
    if isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        return [str(x) for x in v if not is_missing(x)]
    if is_missing(v):
        return []
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("[") and s.endswith("]"):
            try:
                items = json.loads(s)
            except ValueError:
                items = None
            if isinstance(items, list):
                return [str(x) for x in items if not is_missing(x)]
            s = s[1:-1]
        return [x.strip().strip("'\"") for x in re.split(r"[|,;，；]", s) if x.strip().strip("'\"")]
    return [str(v)]


def parse_list_column(col: pd.Series) -> pd.Series:
    """:func:`parse_list` over a column (same index)."""
    return col.map(parse_list)


# --------------------------------------------------------------------------- columns
def apply_aliases(
    df: pd.DataFrame, schema: Schema | None = None, columns: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename user columns and aliases to the canonical names.

    Args:
        df: The table.
        schema: Only aliases of this schema's columns are applied (all when ``None``).
        columns: Explicit ``{their name: canonical name}`` applied first.

    Returns:
        ``(renamed frame, {old: new})``; ``df`` itself when nothing is renamed.

    Raises:
        ValueError: ``columns`` names a column that is not in ``df``.
    """
    rename: dict[str, str] = {}
    for old, new in (columns or {}).items():
        if old not in df.columns:
            raise ValueError(f"columns maps {old!r} -> {new!r} but the table has no column {old!r}")
        if old != new:
            rename[old] = new
    taken = (set(df.columns) - set(rename)) | set(rename.values())
    wanted = schema.columns() if schema is not None else frozenset(ALIASES)
    for canon, alts in ALIASES.items():
        if canon in taken or canon not in wanted:
            continue
        for alt in alts:
            if alt in df.columns and alt not in rename:
                rename[alt] = canon
                taken.add(canon)
                break
    if not rename:
        return df, {}
    return df.rename(columns=rename), rename


def unknown_columns(df: pd.DataFrame, schema: Schema) -> list[str]:
    """Columns of ``df`` that neither ``schema`` nor the analyzer output knows (kept, not used)."""
    from voc.frame import OUTPUT_COLUMNS

    known = schema.columns() | set(OUTPUT_COLUMNS) | {"error", "text_masked"}
    return [str(c) for c in df.columns if c not in known]


# --------------------------------------------------------------------------- validation
def _flag(errors: pd.Series, mask: pd.Series | np.ndarray, message: str) -> pd.Series:
    mask = pd.Series(np.asarray(mask, dtype=bool), index=errors.index)
    if not mask.any():
        return errors
    new = errors.copy()
    cur = new[mask]
    new[mask] = np.where(cur.isna(), message, cur.astype(object).astype(str) + "; " + message)
    return new


def _parse_datetime(col: pd.Series, table: str, name: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col
    elif pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        if col.isna().all():
            return pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
        raise ValueError(
            f"{table}.{name} must hold datetimes or date strings, got dtype {col.dtype}; "
            f"convert epoch numbers first, e.g. pd.to_datetime(df['{name}'], unit='s')"
        )
    else:
        try:
            out = pd.to_datetime(col, errors="coerce", format="ISO8601")
        except (ValueError, TypeError):
            out = pd.to_datetime(col, errors="coerce", format="ISO8601", utc=True)
        retry = out.isna() & col.notna()
        if retry.any():
            try:
                alt = pd.to_datetime(col[retry], errors="coerce", format="mixed")
            except (ValueError, TypeError):
                alt = pd.to_datetime(col[retry], errors="coerce", format="mixed", utc=True)
            if getattr(alt.dt, "tz", None) is not None:
                alt = alt.dt.tz_convert(None)
            if getattr(out.dt, "tz", None) is not None:
                out = out.dt.tz_convert(None)
            out = out.astype("datetime64[ns]")
            out[retry] = alt.astype("datetime64[ns]")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
    return out.astype("datetime64[ns]")


def _already_valid(df: pd.DataFrame, schema: Schema) -> bool:
    """A table :func:`validate` returned (and still parsed): it is not validated again."""
    if df.attrs.get(VALIDATED_ATTR) != schema.name or ERROR_COL not in df.columns:
        return False
    kinds = {**{c: k for c, k in schema.optional.items() if c in df.columns}, **schema.required}
    for col, kind in kinds.items():
        if col not in df.columns:
            return False
        if kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(df[col]):
            return False
        if kind == "number" and not pd.api.types.is_float_dtype(df[col]):
            return False
        if kind == "id" and pd.api.types.is_numeric_dtype(df[col]) and df[col].notna().any():
            return False
        if kind == "bool" and not pd.api.types.is_bool_dtype(df[col]) and not df[col].map(
            lambda v: v is None or isinstance(v, (bool, np.bool_))
        ).all():
            return False
    return True


def validate(df: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Check ``df`` against ``schema`` and return a parsed copy.

    Aliases are renamed (:func:`apply_aliases`); datetimes are parsed with pandas (ISO
    8601 first, then per element), numbers coerced, booleans read by :func:`parse_bool`,
    identifiers turned into text (:func:`id_str`). A row with an unusable value keeps its
    place and gets a message in the ``validation_error`` column (``None`` for good rows).
    A table this function already returned is passed through (a shallow copy).

    Args:
        df: The input table.
        schema: One of :data:`FEEDBACK`, :data:`CONTACTS`, :data:`EVENTS`, :data:`CUSTOMERS`.

    Returns:
        A copy with parsed columns and ``validation_error``.

    Raises:
        ValueError: ``df`` is not a DataFrame, a required column is missing, or a
            column has a dtype that cannot hold its kind (e.g. numbers for a
            timestamp, a numeric column with no number at all).
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{schema.name} must be a pandas DataFrame, got {type(df).__name__}")
    if _already_valid(df, schema):
        return df.copy(deep=False)
    df, _ = apply_aliases(df, schema)
    missing = [c for c in schema.required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{schema.name} is missing required column(s) {missing}; expected {schema.describe()}; "
            f"found {list(df.columns)}"
        )
    out = df.copy()
    errors = pd.Series([None] * len(out), index=out.index, dtype=object)
    if ERROR_COL in out.columns:
        errors = out[ERROR_COL].astype(object).where(out[ERROR_COL].notna(), None)
    kinds = {**{c: k for c, k in schema.optional.items() if c in out.columns}, **schema.required}
    for col, kind in kinds.items():
        s = out[col]
        if kind == "datetime":
            parsed = _parse_datetime(s, schema.name, col)
            if col in schema.required:
                errors = _flag(errors, parsed.isna(), f"bad {col}")
            else:
                errors = _flag(errors, parsed.isna() & s.notna(), f"bad {col}")
            out[col] = parsed
        elif kind == "number":
            if pd.api.types.is_bool_dtype(s):
                raise ValueError(f"{schema.name}.{col} must be numeric, got dtype bool")
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna() & (s.astype(str).str.strip() != "")
            if s.notna().any() and num.notna().sum() == 0:
                raise ValueError(
                    f"{schema.name}.{col} must be numeric; no value of dtype {s.dtype} parses as a number"
                )
            errors = _flag(errors, bad, f"bad {col}")
            out[col] = num.astype(float)
        elif kind == "bool":
            vals, bad = parse_bool_column(s)
            errors = _flag(errors, bad, f"bad {col}")
            out[col] = vals
        elif kind == "str":
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and s.notna().any():
                raise ValueError(f"{schema.name}.{col} must hold strings, got dtype {s.dtype}")
            if col in schema.required:
                empty = s.isna() | (s.astype(str).str.strip() == "")
                errors = _flag(errors, empty, f"missing {col}")
        elif kind == "id":
            ids = id_str_column(s)
            out[col] = ids.where(ids.notna(), None)
            if col in schema.required:
                errors = _flag(errors, ids.isna(), f"missing {col}")
    if schema.name == "events":
        out["type"] = out["type"].astype(str).str.strip().str.lower()
    if schema.name == "customers":
        errors = _flag(errors, out["customer_id"].notna() & out["customer_id"].duplicated(keep="first"),
                       "duplicate customer_id")
    out[ERROR_COL] = errors
    out.attrs[VALIDATED_ATTR] = schema.name
    return out


def usable(df: pd.DataFrame, table: str, *, warn: bool = True, stacklevel: int = 3) -> pd.DataFrame:
    """The rows of a validated table without a ``validation_error`` (a warning counts the others)."""
    bad = df[ERROR_COL].notna()
    if bad.any() and warn:
        examples = df.loc[bad, ERROR_COL].value_counts().head(3).to_dict()
        warnings.warn(
            f"{table}: {int(bad.sum())} of {len(df)} rows flagged and left out "
            f"(see the 'validation_error' column): {examples}",
            stacklevel=stacklevel,
        )
    return df[~bad]


def empty_table(schema: Schema) -> pd.DataFrame:
    """A validated table of ``schema`` with no rows."""
    dtypes = {"datetime": "datetime64[ns]", "number": "float64", "bool": object, "id": object, "str": object}
    df = pd.DataFrame({c: pd.Series(dtype=dtypes[k]) for c, k in schema.required.items()})
    return validate(df, schema)


def default_as_of(frames: Iterable[pd.DataFrame | None], col: str = "timestamp") -> pd.Timestamp:
    """The one default reference time: the latest ``col`` over ``frames`` (now when there is none).

    Examples:
        >>> a = pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-01", "2024-03-01"])})
        >>> default_as_of([a, None])
        Timestamp('2024-03-01 00:00:00')
    """
    stamps = []
    for df in frames:
        if df is None or col not in df.columns or not len(df):
            continue
        s = df[col]
        if not pd.api.types.is_datetime64_any_dtype(s):
            s = pd.to_datetime(s, errors="coerce")
        m = s.max()
        if not pd.isna(m):
            stamps.append(pd.Timestamp(m))
    as_of = max(stamps) if stamps else pd.Timestamp.now()
    return as_of.tz_convert(None) if as_of.tz is not None else as_of


def as_timestamp(value: Any) -> pd.Timestamp:
    """``value`` as a timezone-naive :class:`pandas.Timestamp` (``ValueError`` when it is not a time)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("as_of must be a date or timestamp, got None")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"as_of must be a date or timestamp, got {value!r}") from e
    if pd.isna(ts):
        raise ValueError(f"as_of must be a date or timestamp, got {value!r}")
    return ts.tz_convert(None) if ts.tz is not None else ts
