"""Build the self-contained HTML report (``voc report``).

See :func:`build_report`. The page has no external resource at all: charts are
inline base64 PNGs, CSS and the one tiny script are inline, so it opens offline
and can be mailed as one file. Every text taken from the data is HTML-escaped, and
example texts are the analyzer's *normalized* texts (PII masked: ``<PHONE>`` ...),
never the raw input.
"""

from __future__ import annotations

import base64
import html
import importlib
import inspect
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from voc.report.charts import (
    ChartStyle,
    barh_chart,
    cjk_font,
    forecast_chart,
    issue_chart,
    sentiment_time_chart,
)

__all__ = ["build_report", "RESULT_COLUMNS", "SECTION_IDS"]

#: Columns that mark a frame as already analyzed (from ``voc.analyze_frame`` or ``voc analyze``).
RESULT_COLUMNS = ("sentiment", "sentiment_score", "emotion", "intent", "non_complaint_reasons",
                  "complaint_stage", "aspects")
_LIST_COLUMNS = ("non_complaint_reasons", "behaviors", "aspects")
#: ``id`` attributes of the report's sections, in page order.
SECTION_IDS = ("summary", "sentiment-over-time", "emotions", "intents", "aspects", "complaint-stages",
               "non-complaint-reasons", "personas", "issues-churn", "churn-winback")
_READERS = (".csv", ".tsv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls")
_TOP = 10
_EXAMPLES = 3
_EXAMPLE_CHARS = 240
#: Required columns of the optional ``contacts`` / ``events`` tables (docs/customers.md).
_TABLE_COLUMNS = {"contacts": ("customer_id", "channel", "timestamp"), "events": ("customer_id", "timestamp", "type")}
#: Churn horizons tried in turn (days): the first one the history is long enough for is used.
_HORIZONS = (90, 30)
_TRAIN_SNAPSHOTS = 4
_ROWS = 10


@dataclass
class Chart:
    """One chart: file name stem, alt text and PNG bytes."""

    name: str
    alt: str
    png: bytes


@dataclass
class Section:
    """One ``<section>`` of the page."""

    id: str
    title: str
    body: str = ""
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- public API
def build_report(df_or_path: pd.DataFrame | str | Path, output_html: str | Path, *, text_col: str = "text",
                 time_col: str = "timestamp", nlp: Any = None, png_dir: str | Path | None = None,
                 title: str = "Voice of the customer", contacts: pd.DataFrame | str | Path | None = None,
                 events: pd.DataFrame | str | Path | None = None) -> Path:
    """Analyze feedback and write one self-contained, offline HTML report plus a PNG per chart.

    Sections: summary, sentiment over time (per day, week or month, by the time span),
    emotion mix, top intents, top aspects, non-complaint reasons with example texts,
    complaint stages, personas, issues & churn, and churn risk & win-back. The
    customer sections are filled when :mod:`voc.personas` / :mod:`voc.issues` /
    :mod:`voc.churn` are available and the data has ``customer_id`` (and a time
    column); otherwise they explain what is missing. Churn risk and win-back also
    need an ``events`` table with ``type="churn"`` rows (a feedback file alone has
    no churn): with it, a :class:`voc.churn.ChurnModel` is trained on earlier
    snapshots and tested on a later one, and the section shows its test scores,
    the customers at risk now, the churn forecast per open issue (table and chart)
    and the win-back list of the issue with the largest value at risk.

    Args:
        df_or_path: A DataFrame, or a CSV / TSV / JSONL / JSON / Parquet / Excel file.
            If it already has the analyzer's columns (``sentiment``, ``emotion``, ...,
            e.g. the output of ``voc analyze``) nothing is recomputed.
        output_html: Where to write the page (parent folders are created).
        text_col: Column with the texts.
        time_col: Column with timestamps (missing or unparseable: no time chart, a note instead).
        nlp: Analyzer to use (default: the shared default analyzer).
        png_dir: Folder for the chart PNGs (default: ``<output stem>_charts/`` beside the page).
        title: Page title.
        contacts: Optional service contacts (``customer_id``, ``channel``, ``timestamp``), a
            DataFrame or a file: used for the customer profiles and the churn features.
        events: Optional behavioural events (``customer_id``, ``timestamp``, ``type``; ``amount``,
            ``score``), a DataFrame or a file: orders, NPS and ``churn`` events for the profiles,
            churn per issue and the churn-risk section. Tables without the required columns
            are left out with a note.

    Returns:
        The path of the HTML file.

    Raises:
        FileNotFoundError: ``df_or_path`` (or ``contacts`` / ``events``) is a path that does not exist.
        ValueError: Unsupported file type, unreadable file, or no rows.
        KeyError: ``text_col`` is missing.
        TypeError: ``df_or_path`` (or ``contacts`` / ``events``) is neither a DataFrame nor a path.
    """
    source = "DataFrame"
    if isinstance(df_or_path, (str, Path)):
        source = Path(df_or_path).name
        df = _read_table(Path(df_or_path))
    elif isinstance(df_or_path, pd.DataFrame):
        df = df_or_path
    else:
        raise TypeError(f"build_report expects a DataFrame or a file path, got {type(df_or_path).__name__}")
    if text_col not in df.columns:
        raise KeyError(f"column {text_col!r} not in the data; columns are {list(map(str, df.columns))}")
    if df.empty:
        raise ValueError("no rows to report on")
    extra = {name: _optional_table(name, value) for name, value in (("contacts", contacts), ("events", events))}
    output_html = Path(output_html)
    png_dir = Path(png_dir) if png_dir is not None else output_html.with_name(output_html.stem + "_charts")

    notes: list[str] = []
    df = df.reset_index(drop=True)
    df = _ensure_analyzed(df, text_col, nlp, notes)
    masked = _masked_texts(df[text_col], nlp)
    times, time_note = _parse_times(df, time_col)
    taxonomy = nlp.taxonomy if nlp is not None and hasattr(nlp, "taxonomy") else _default_taxonomy()
    names = {t: taxonomy.names(t) for t in taxonomy.tasks}
    font = cjk_font()
    style = ChartStyle(font, names)
    if font is None:
        notes.append("No font with Chinese glyphs was found (fc-list :lang=zh), so chart axes show label "
                     "codes; the tables under each chart give the Chinese names.")

    ok = df["error"].isna() if "error" in df.columns else pd.Series(True, index=df.index)
    ok &= df["sentiment"].notna()
    sections = [
        _summary_section(df, ok, times, names, source, notes),
        _time_section(df, ok, times, time_col, time_note, style),
        _count_section("emotions", "Emotion mix", "emotion", _single_counts(df, ok, "emotion"), style,
                       "#72b7b2", order="count"),
        _count_section("intents", "Top intents", "intent", _single_counts(df, ok, "intent"), style,
                       "#4c78a8", top=_TOP),
        _count_section("aspects", "Top aspects", "aspects", _multi_counts(df, ok, "aspects"), style,
                       "#54a24b", top=_TOP),
        _count_section("complaint-stages", "Complaint stages", "complaint_stage",
                       _single_counts(df, ok, "complaint_stage"), style, "#e45756",
                       order=taxonomy.codes("complaint_stage") if "complaint_stage" in taxonomy.tasks else "count"),
        _reasons_section(df, ok, masked, style),
        *_customer_sections(df, ok, masked, times, text_col, style, extra),
    ]
    _write_outputs(sections, output_html, png_dir, title, source)
    return output_html


# ---------------------------------------------------------------------------- input
def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        raise ValueError(f"{path}: unsupported file type {suffix!r} (use one of {', '.join(_READERS)})")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        if suffix in (".jsonl", ".json"):
            return pd.read_json(path, lines=suffix == ".jsonl")
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_excel(path)
    except Exception as e:  # noqa: BLE001 - any reader failure becomes one ValueError
        first = str(e).splitlines()[0] if str(e) else ""
        raise ValueError(f"{path}: could not read: {type(e).__name__}: {first}") from e


def _optional_table(name: str, value: pd.DataFrame | str | Path | None) -> pd.DataFrame | None:
    """The ``contacts`` / ``events`` argument of :func:`build_report` as a DataFrame (or ``None``)."""
    if value is None or isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, (str, Path)):
        return _read_table(Path(value))
    raise TypeError(f"build_report: {name}= expects a DataFrame or a file path, got {type(value).__name__}")


def _default_taxonomy() -> Any:
    from voc.taxonomy import load_taxonomy

    return load_taxonomy()


def _ensure_analyzed(df: pd.DataFrame, text_col: str, nlp: Any, notes: list[str]) -> pd.DataFrame:
    present = [c for c in RESULT_COLUMNS if c in df.columns]
    if len(present) == len(RESULT_COLUMNS):
        df = df.copy()
        for col in (*_LIST_COLUMNS, "evidence"):
            if col in df.columns:
                df[col] = df[col].map(_parse_json_cell)
        return df
    from voc.frame import OUTPUT_COLUMNS, analyze_frame

    clash = [c for c in OUTPUT_COLUMNS if c in df.columns]
    if clash:
        notes.append(f"Input columns {', '.join(clash)} were replaced by the analyzer's predictions.")
    return analyze_frame(df.drop(columns=clash), text_col=text_col, nlp=nlp, progress=len(df) >= 5000)


def _parse_json_cell(v: Any) -> Any:
    """Lists and dicts written as JSON strings (CSV / Excel output of ``voc analyze``) back to objects."""
    if isinstance(v, str) and v[:1] in ("[", "{"):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _masked_texts(texts: pd.Series, nlp: Any) -> pd.Series:
    """The analyzer's normalized texts (PII masked), ``""`` where a text is unusable."""
    normalizer = getattr(nlp, "normalizer", None)
    if normalizer is None:
        from voc.text import Normalizer

        normalizer = Normalizer()
    out = []
    for t in texts.tolist():
        try:
            out.append(normalizer(t).text)
        except (TypeError, ValueError):
            out.append("")
    return pd.Series(out, index=texts.index, dtype=object)


def _parse_times(df: pd.DataFrame, time_col: str) -> tuple[pd.Series | None, str | None]:
    if time_col not in df.columns:
        return None, f"The data has no {time_col!r} column, so sentiment over time is not shown."
    col = df[time_col]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return None, (f"Column {time_col!r} holds numbers, not dates (convert epochs with "
                      "pd.to_datetime(..., unit='s')); sentiment over time is not shown.")
    if pd.api.types.is_datetime64_any_dtype(col):
        t = col
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = pd.to_datetime(col, errors="coerce", format="mixed", utc=True)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    if t.notna().sum() == 0:
        return None, f"No value of column {time_col!r} could be read as a date; sentiment over time is not shown."
    bad = int(t.isna().sum())
    note = f"{bad} row(s) with a missing or unreadable {time_col!r} are left out of the time chart." if bad else None
    return t, note


# ---------------------------------------------------------------------------- counting
def _as_list(v: Any) -> list[str]:
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    if hasattr(v, "tolist") and not isinstance(v, str):
        return [str(x) for x in v.tolist()]
    return []


def _single_counts(df: pd.DataFrame, ok: pd.Series, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(dtype="int64")
    return df.loc[ok, col].dropna().astype(str).value_counts()


def _multi_counts(df: pd.DataFrame, ok: pd.Series, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(dtype="int64")
    exploded = df.loc[ok, col].map(_as_list).explode().dropna()
    return exploded.astype(str).value_counts()


# ---------------------------------------------------------------------------- html helpers
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _name(names: dict[str, dict[str, str]], task: str, code: str) -> str:
    """``中文名 <code>code</code>`` (escaped)."""
    zh = names.get(task, {}).get(code)
    if zh and zh != code:
        return f"{_e(zh)} <code>{_e(code)}</code>"
    return f"<code>{_e(code)}</code>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table; headers are escaped here, cells must already be HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{_e(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _highlight(text: str, spans: Iterable[str]) -> str:
    """Escape ``text``, wrapping the first occurrence of each span in ``<mark>``."""
    if len(text) > _EXAMPLE_CHARS:
        text = text[:_EXAMPLE_CHARS] + "…"
    hits: list[tuple[int, int]] = []
    for s in sorted({s for s in spans if isinstance(s, str) and s.strip()}, key=len, reverse=True):
        k = text.find(s)
        if k >= 0 and all(k >= b or k + len(s) <= a for a, b in hits):
            hits.append((k, k + len(s)))
    out, pos = [], 0
    for a, b in sorted(hits):
        out.append(_e(text[pos:a]) + "<mark>" + _e(text[a:b]) + "</mark>")
        pos = b
    out.append(_e(text[pos:]))
    return "".join(out)


def _pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


# ---------------------------------------------------------------------------- sections
def _summary_section(df: pd.DataFrame, ok: pd.Series, times: pd.Series | None,
                     names: dict[str, dict[str, str]], source: str, notes: list[str]) -> Section:
    n, n_ok = len(df), int(ok.sum())
    sent = df.loc[ok, "sentiment"].value_counts(normalize=True)
    cards = [("texts", f"{n:,}"), ("analyzed", f"{n_ok:,}"), ("flagged with an error", f"{n - n_ok:,}"),
             ("negative", _pct(float(sent.get("negative", 0.0)))),
             ("positive", _pct(float(sent.get("positive", 0.0))))]
    if times is not None and times.notna().any():
        cards.append(("period", f"{times.min():%Y-%m-%d} → {times.max():%Y-%m-%d}"))
    if "customer_id" in df.columns:
        cards.append(("customers", f"{df['customer_id'].nunique():,}"))
    body = '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>' for k, v in cards
    ) + "</div>"
    facts = []
    emo = _single_counts(df, ok, "emotion")
    if len(emo):
        facts.append(f"Most frequent emotion: {_name(names, 'emotion', emo.index[0])} ({int(emo.iloc[0])} texts).")
    reasons = _multi_counts(df, ok, "non_complaint_reasons")
    if len(reasons):
        facts.append("Most frequent reason not to complain: "
                     f"{_name(names, 'non_complaint_reasons', reasons.index[0])} ({int(reasons.iloc[0])} texts).")
    if facts:
        body += "<ul>" + "".join(f"<li>{f}</li>" for f in facts) + "</ul>"
    return Section("summary", "Summary", body, notes=list(notes))


def _time_section(df: pd.DataFrame, ok: pd.Series, times: pd.Series | None, time_col: str,
                  note: str | None, style: ChartStyle) -> Section:
    sec = Section("sentiment-over-time", "Sentiment over time")
    if note:
        sec.notes.append(note)
    if times is None:
        return sec
    rows = ok & times.notna()
    if not rows.any():
        sec.notes.append("No analyzed row has a usable time.")
        return sec
    t = times[rows]
    span = (t.max() - t.min()).days
    if span <= 62:
        period, freq, unit = t.dt.floor("D"), "D", "day"
    elif span <= 730:
        period = (t - pd.to_timedelta(t.dt.day_of_week, unit="D")).dt.floor("D")
        freq, unit = "W-MON", "week (starting Monday)"
    else:
        period, freq, unit = t.dt.to_period("M").dt.to_timestamp(), "MS", "month"
    frame = pd.DataFrame({"period": period, "sentiment": df.loc[rows, "sentiment"],
                          "score": pd.to_numeric(df.loc[rows, "sentiment_score"], errors="coerce")})
    full = pd.date_range(frame["period"].min(), frame["period"].max(), freq=freq)
    counts = (frame.pivot_table(index="period", columns="sentiment", values="score", aggfunc="size")
              .reindex(full).fillna(0).astype(int))
    mean = frame.groupby("period")["score"].mean().reindex(full)
    png = sentiment_time_chart(counts, mean, f"Sentiment per {unit.split()[0]}", style)
    sec.charts.append(Chart("sentiment_over_time", f"Sentiment per {unit}: counts and mean polarity", png))
    rows_html = [[_e(f"{d:%Y-%m-%d}"), *(str(int(counts.loc[d].get(c, 0))) for c in ("negative", "neutral",
                                                                                       "positive")),
                  "–" if pd.isna(mean.loc[d]) else f"{mean.loc[d]:+.2f}"] for d in counts.index]
    sec.body = (f"<p>Texts per {_e(unit)} by sentiment (bars) and the mean polarity "
                "P(positive) − P(negative) (line, right axis).</p>"
                + _details(_table([unit.split()[0], "negative", "neutral", "positive", "mean polarity"],
                                  rows_html, "num")))
    return sec


def _details(inner: str, summary: str = "Table") -> str:
    return f"<details><summary>{_e(summary)}</summary>{inner}</details>"


def _count_section(sec_id: str, title: str, task: str, counts: pd.Series, style: ChartStyle, color: str, *,
                   top: int | None = None, order: str | Sequence[str] = "count") -> Section:
    sec = Section(sec_id, title)
    if not isinstance(order, str):
        counts = counts.reindex(list(order) + [c for c in counts.index if c not in order]).fillna(0).astype(int)
    if counts.sum() == 0:
        sec.notes.append("No analyzed text has a label for this task.")
        return sec
    total = int(counts.sum())
    shown = counts.head(top) if top else counts
    items = [(style.label(task, str(code)), int(v)) for code, v in shown.items()]
    sec.charts.append(Chart(sec_id.replace("-", "_"), f"{title}: texts per label",
                            barh_chart(items, title, style, color=color)))
    names = style.names
    rows = [[_name(names, task, str(code)), str(int(v)), _pct(v / total)] for code, v in shown.items()]
    extra = f" (top {top} of {len(counts)})" if top and len(counts) > top else ""
    sec.body = _details(_table(["label", "texts", "share"], rows, "num"), f"Table{extra}")
    return sec


def _reasons_section(df: pd.DataFrame, ok: pd.Series, masked: pd.Series, style: ChartStyle) -> Section:
    task = "non_complaint_reasons"
    sec = Section("non-complaint-reasons", "Why customers do not complain")
    counts = _multi_counts(df, ok, task)
    if counts.empty:
        sec.notes.append("No text gives a reason for not complaining.")
        return sec
    items = [(style.label(task, code), int(v)) for code, v in counts.items()]
    sec.charts.append(Chart("non_complaint_reasons", "Non-complaint reasons: texts per reason",
                            barh_chart(items, "Non-complaint reasons", style, color="#9d755d")))
    lists = df[task].map(_as_list)
    evidence = df["evidence"] if "evidence" in df.columns else pd.Series([{}] * len(df), index=df.index)
    blocks = []
    for code, n in counts.items():
        spans_of = [(i, ev.get(code, []) if isinstance(ev, dict) else [])
                    for i, ev in evidence[ok & lists.map(lambda xs, c=code: c in xs)].items()]
        spans_of.sort(key=lambda x: (not x[1], len(masked[x[0]])))
        seen: set[str] = set()
        examples = []
        for i, spans in spans_of:
            text = masked[i]
            if not text or text in seen:
                continue
            seen.add(text)
            examples.append(f"<li>{_highlight(text, spans)}</li>")
            if len(examples) >= _EXAMPLES:
                break
        blocks.append(f'<div class="reason"><h3>{_name(style.names, task, code)} '
                      f'<span class="n">{int(n)} texts</span></h3>'
                      f'<ul class="examples">{"".join(examples)}</ul></div>')
    sec.body = ("<p>Texts may give several reasons. Examples are the normalized texts (personal data "
                "masked); highlighted: the evidence for the reason.</p>" + "".join(blocks))
    return sec


# ---------------------------------------------------------------------------- customers
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


def _customer_sections(df: pd.DataFrame, ok: pd.Series, masked: pd.Series, times: pd.Series | None,
                       text_col: str, style: ChartStyle,
                       extra: dict[str, pd.DataFrame | None] | None = None) -> list[Section]:
    personas = Section("personas", "Personas")
    issues = Section("issues-churn", "Issues & churn")
    churn = Section("churn-winback", "Churn risk and win-back")
    fb = df.drop(columns=[text_col]).copy()
    fb["text"] = masked
    fb = fb[ok & (masked != "")]
    history = _history_tables(extra or {})
    profiles = persona_table = None
    has_customers = "customer_id" in df.columns and df["customer_id"].notna().any()
    if not has_customers:
        personas.notes.append("Personas need a customer_id column (one customer per row of feedback).")
    elif times is None:
        personas.notes.append("Personas need a time column to build customer profiles.")
    else:
        profiles, persona_table = _personas(fb, times, personas, style, history)
    found = _issues(fb, profiles, issues, style, has_customers)
    try:
        _churn_section(churn, style, fb=fb, times=times, history=history, profiles=profiles,
                       personas=persona_table, found=found, has_customers=has_customers)
    except Exception as e:  # noqa: BLE001 - the last guard: an optional section must not sink the report
        churn.notes.append(f"Churn risk could not be computed: {_one_line(e)}")
    return [personas, issues, churn]


@dataclass
class _History:
    """The optional ``contacts`` / ``events`` tables, checked and with parsed timestamps."""

    contacts: pd.DataFrame
    events: pd.DataFrame
    given: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _history_tables(extra: dict[str, pd.DataFrame | None]) -> _History:
    """Check ``contacts`` / ``events``: required columns, readable timestamps (bad rows dropped with a note)."""
    tables = {"contacts": _empty({"customer_id": "object", "channel": "object", "timestamp": "datetime64[ns]"}),
              "events": _empty({"customer_id": "object", "timestamp": "datetime64[ns]", "type": "object"})}
    given: set[str] = set()
    notes: list[str] = []
    for name, required in _TABLE_COLUMNS.items():
        t = extra.get(name)
        if t is None:
            continue
        missing = [c for c in required if c not in t.columns]
        if missing:
            notes.append(f"The {name} table lacks column(s) {', '.join(missing)} (needs {', '.join(required)}); "
                         "it is left out.")
            continue
        t = t.copy()
        ts, note = _parse_times(t, "timestamp")
        if ts is None:
            notes.append(f"The {name} table: {note}; it is left out.".replace(
                "; sentiment over time is not shown.", "").replace(", so sentiment over time is not shown", ""))
            continue
        t["timestamp"] = ts
        keep = t["timestamp"].notna() & t["customer_id"].notna()
        if name == "events":
            keep &= t["type"].notna()
            t["type"] = t["type"].astype(str).str.strip().str.lower()
        if int((~keep).sum()):
            notes.append(f"{int((~keep).sum())} row(s) of the {name} table without a customer, a type or a "
                         "readable timestamp are left out.")
        tables[name] = t[keep].reset_index(drop=True)
        given.add(name)
    return _History(tables["contacts"], tables["events"], given, notes)


def _customer_feedback(fb: pd.DataFrame, times: pd.Series) -> pd.DataFrame:
    cf = fb.copy()
    cf["timestamp"] = times.reindex(cf.index)
    if "channel" not in cf.columns:
        cf["channel"] = "unknown"
    cf["channel"] = cf["channel"].fillna("unknown").astype(str)
    return cf[cf["customer_id"].notna() & cf["timestamp"].notna()]


def _empty(cols: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in cols.items()})


def _call_quiet(fn: Callable[..., Any], notes: list[str], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    for w in caught:
        line = str(w.message).splitlines()[0] if str(w.message) else ""
        if line and line not in notes and issubclass(w.category, UserWarning):
            notes.append(line)
    return out


def _personas(fb: pd.DataFrame, times: pd.Series, sec: Section, style: ChartStyle,
              history: _History) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    found = _lookup("voc.customers", "profile_customers")
    found2 = _lookup("voc.personas", "assign_personas")
    if isinstance(found, str) or isinstance(found2, str):
        sec.notes.append(found if isinstance(found, str) else str(found2))
        return None, None
    profile_customers, assign_personas = found[0], found2[0]
    cf = _customer_feedback(fb, times)
    if cf.empty:
        sec.notes.append("No analyzed row has both a customer_id and a usable time.")
        return None, None
    contacts, events = history.contacts, history.events
    if not _fits(profile_customers, cf, contacts, events) or not _fits(assign_personas, None, cf, events):
        sec.notes.append("voc.customers / voc.personas have an unexpected signature; personas are not shown.")
        return None, None
    try:
        profiles = _call_quiet(profile_customers, sec.notes, cf, contacts, events)
        table = _call_quiet(assign_personas, sec.notes, profiles, cf, events)
    except Exception as e:  # noqa: BLE001 - a failing optional section must not sink the report
        if not history.given:
            sec.notes.append(f"Personas could not be computed: {_one_line(e)}")
            return None, None
        try:  # a bad contacts / events table must not cost the personas of the feedback
            empty = _history_tables({})
            profiles = _call_quiet(profile_customers, sec.notes, cf, empty.contacts, empty.events)
            table = _call_quiet(assign_personas, sec.notes, profiles, cf, empty.events)
        except Exception as e2:  # noqa: BLE001
            sec.notes.append(f"Personas could not be computed: {_one_line(e2)}")
            return None, None
        sec.notes.append(f"The contacts / events tables could not be used ({_one_line(e)}); "
                         "customers are profiled from the feedback only.")
        history.given.clear()
    _fill_personas(sec, profiles, table, style, history.given)
    return profiles, table


def _fill_personas(sec: Section, profiles: pd.DataFrame, table: pd.DataFrame, style: ChartStyle,
                   given: set[str] | None = None) -> None:
    n = len(profiles)
    if given:
        facts = [f"{n} customers profiled from the feedback and the {' and '.join(sorted(given))} table(s)."]
    else:
        facts = [f"{n} customers profiled from feedback only (no contacts, orders or events table)."]
    for col, what in (("has_problem", "show a problem"), ("silent", "are silent: a problem and no contact")):
        if col in profiles.columns:
            facts.append(f"{int(profiles[col].fillna(False).astype(bool).sum())} of {n} {what}.")
    body = "<ul>" + "".join(f"<li>{_e(f)}</li>" for f in facts) + "</ul>"
    if "primary_archetype" in table.columns:
        arch = table["primary_archetype"]
        en = table["archetype_en"] if "archetype_en" in table.columns else arch
        labels = [
            (style.text(str(a), str(b)) if pd.notna(a) else "no clear archetype")
            for a, b in zip(arch, en, strict=True)
        ]
        counts = pd.Series(labels).value_counts()
        if len(counts):
            sec.charts.append(Chart("personas", "Customers per primary archetype",
                                    barh_chart([(k, int(v)) for k, v in counts.items()],
                                               "Customers per primary archetype", style, color="#b279a2",
                                               xlabel="customers")))
    if "tags" in table.columns:
        tag_counts = pd.Series([t.get("tag") for tags in table["tags"] if isinstance(tags, list)
                                for t in tags if isinstance(t, dict)]).value_counts()
        if len(tag_counts):
            body += "<h3>Type tags</h3>" + _table(
                ["tag", "customers"], [[_e(k), str(int(v))] for k, v in tag_counts.head(15).items()], "num")
        rows = []
        ranked = table.assign(_s=pd.to_numeric(table.get("archetype_score"), errors="coerce").fillna(0))
        for cid, r in ranked.sort_values("_s", ascending=False).head(12).iterrows():
            tags = r["tags"] if isinstance(r["tags"], list) else []
            quote = ""
            for t in tags:
                for ev in t.get("evidence", []) if isinstance(t, dict) else []:
                    if isinstance(ev, dict) and ev.get("text"):
                        quote = _highlight(str(ev["text"]), ev.get("spans") or [])
                        break
                if quote:
                    break
            arch = r.get("primary_archetype")
            en = r.get("archetype_en")
            arch_html = "–" if pd.isna(arch) else f"{_e(arch)} <code>{_e(en)}</code>"
            rows.append([_e(cid), arch_html, _e(", ".join(str(t.get("tag")) for t in tags[:3])), quote])
        if rows:
            body += "<h3>Customers (strongest archetype first)</h3>" + _table(
                ["customer", "archetype", "top tags", "evidence"], rows, "wide")
    sec.body = body


def _issues(fb: pd.DataFrame, profiles: pd.DataFrame | None, sec: Section, style: ChartStyle,
            has_customers: bool) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    found = _lookup("voc.issues", "discover_issues", "churn_by_issue")
    if isinstance(found, str):
        sec.notes.append(found)
        return None
    discover_issues, churn_by_issue = found
    if not _fits(discover_issues, fb, text_col="text"):
        sec.notes.append("voc.issues.discover_issues has an unexpected signature; issues are not shown.")
        return None
    try:
        out = _call_quiet(discover_issues, sec.notes, fb, text_col="text")
        table, assignment = out[0], out[1]
    except Exception as e:  # noqa: BLE001 - an optional section must not sink the report
        sec.notes.append(f"Issues could not be discovered: {_one_line(e)}")
        return None
    churn = None
    if profiles is not None and "customer_id" in assignment.columns and _fits(churn_by_issue, assignment, profiles,
                                                                              issues=table):
        try:
            churn = _call_quiet(churn_by_issue, sec.notes, assignment, profiles, issues=table)
        except Exception as e:  # noqa: BLE001
            sec.notes.append(f"Churn per issue could not be computed: {_one_line(e)}")
    elif not has_customers:
        sec.notes.append("Churn per issue needs a customer_id column.")
    churned_any = (profiles is not None and "churned" in profiles.columns
                   and bool(profiles["churned"].fillna(False).astype(bool).any()))
    if churn is not None and not churned_any:
        sec.notes.append("No customer churned in this data (churn comes from an events table with "
                         "type=churn, which a feedback file does not have: pass events= / --events), so "
                         "churn rates are not shown.")
        churn = None
    _fill_issues(sec, table, churn, style)
    return table, assignment


def _fill_issues(sec: Section, table: pd.DataFrame, churn: pd.DataFrame | None, style: ChartStyle) -> None:
    t = table.copy()
    if "issue_id" in t.columns:
        t = t.set_index("issue_id", drop=False)
    ids = list(t.index)
    labels = [style.text(str(t.at[i, "label"]) if "label" in t.columns else "", f"issue {i}") for i in ids]
    sizes = [float(t.at[i, "size"]) if "size" in t.columns else 0.0 for i in ids]
    rates = None
    if churn is not None and "churn_rate" in churn.columns:
        c = churn.set_index("issue_id") if "issue_id" in churn.columns else churn
        rates = [float(c["churn_rate"].get(i, 0.0)) for i in ids]
    sec.charts.append(Chart("issues_churn", "Issues: negative texts per issue" + (" and churn rate" if rates else ""),
                            issue_chart(labels, sizes, rates, "Issues in negative feedback", style)))
    rows = []
    for k, i in enumerate(ids):
        r = t.loc[i]
        examples = r.get("examples") if isinstance(r.get("examples"), list) else []
        ex_html = "".join(f"<li>{_highlight(str(x), [])}</li>" for x in examples[:2])
        row = [_e(i), _e(r.get("label", "")), str(int(sizes[k])), _pct(float(r.get("share", float("nan")))),
               _e(r.get("n_customers", "–"))]
        if rates is not None:
            c = churn.set_index("issue_id") if "issue_id" in churn.columns else churn
            ex = c["excess_churned"].get(i) if "excess_churned" in c.columns else None
            row += [_pct(rates[k]), "–" if ex is None or pd.isna(ex) else f"{float(ex):+.1f}"]
        rows.append([*row, f'<ul class="examples">{ex_html}</ul>'])
    headers = ["issue", "keywords", "texts", "share", "customers"]
    if rates is not None:
        headers += ["churn rate", "excess churned"]
    sec.body = ("<p>Negative texts clustered into issues (keywords label each issue); examples are "
                "normalized, masked texts.</p>" + _table([*headers, "examples"], rows, "wide"))


# ---------------------------------------------------------------------------- churn risk and win-back
@dataclass
class _ChurnPlan:
    """Snapshots of the time-aware churn model: train on the earlier ones, test on the later one."""

    horizon: int
    train_as_of: list[pd.Timestamp]
    test_as_of: pd.Timestamp
    now: pd.Timestamp


def _churn_plan(cf: pd.DataFrame, history: _History) -> _ChurnPlan | str:
    """Pick the horizon and the snapshots from the span of the data.

    The test snapshot is one horizon before the last event (its labels are complete); the
    training snapshots are one horizon before it and then monthly earlier (their labels end
    by the test snapshot), each with at least one horizon of history before it. The first
    horizon of :data:`_HORIZONS` that fits is used.
    """
    stamps = [cf["timestamp"], history.contacts["timestamp"], history.events["timestamp"]]
    start = min(t.min() for t in stamps if len(t))
    end = max(t.max() for t in stamps if len(t))
    last_event = history.events["timestamp"].max()
    for h in _HORIZONS:
        test = (last_event - pd.Timedelta(days=h)).normalize()
        train = [test - pd.Timedelta(days=h + 30 * k) for k in range(_TRAIN_SNAPSHOTS)]
        train = sorted(t for t in train if t - pd.Timedelta(days=h) >= start)
        if train:
            return _ChurnPlan(h, train, test, end + pd.Timedelta(seconds=1))
    return (f"The history ({start:%Y-%m-%d} → {last_event:%Y-%m-%d}) is too short for a time-aware churn "
            f"model: it needs at least {3 * _HORIZONS[-1]} days (history, training labels and test labels "
            f"of a {_HORIZONS[-1]}-day horizon).")


def _timed_assignment(raw: pd.DataFrame, times: pd.Series) -> pd.DataFrame | None:
    """Issue rows with the parsed time of their feedback row (the churn features only read rows before a snapshot)."""
    if not {"customer_id", "issue_id"} <= set(raw.columns):
        return None
    a = raw.copy()
    if a.index.isin(times.index).all():
        a["timestamp"] = times.reindex(a.index)
    elif "timestamp" in a.columns:
        a["timestamp"] = pd.to_datetime(a["timestamp"], errors="coerce")
    else:
        return None
    a = a[a["customer_id"].notna() & a["timestamp"].notna()]
    return a if len(a) else None


def _fmt(x: Any, spec: str = ".1f") -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else format(v, spec)


def _cards(cards: Sequence[tuple[str, str]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>' for k, v in cards
    ) + "</div>"


def _churn_section(sec: Section, style: ChartStyle, *, fb: pd.DataFrame, times: pd.Series | None,
                   history: _History, profiles: pd.DataFrame | None, personas: pd.DataFrame | None,
                   found: tuple[pd.DataFrame, pd.DataFrame] | None, has_customers: bool) -> None:
    """Churn risk per customer, forecast per open issue and win-back list (:mod:`voc.churn`).

    Every step is guarded: a failing step leaves a note and the steps that do not depend
    on it still run.
    """
    sec.notes.extend(history.notes)
    if not has_customers:
        sec.notes.append("Churn risk needs a customer_id column (one customer per row of feedback).")
        return
    if times is None:
        sec.notes.append("Churn risk needs a time column to place feedback before or after a snapshot.")
        return
    if "events" not in history.given:
        sec.notes.append("No events table, so no churn to learn from: churn risk, the forecast per issue and the "
                         "win-back list need events with type=churn (build_report(events=...) or voc report "
                         "--events); a feedback file alone has none.")
        return
    n_churn = int((history.events["type"] == "churn").sum())
    if n_churn == 0:
        sec.notes.append("The events table has no type=churn row, so there is no churn to learn from.")
        return
    api = _lookup("voc.churn", "churn_features", "fit_time_split", "issue_forecast", "winback_list")
    if isinstance(api, str):
        sec.notes.append(api)
        return
    churn_features, fit_time_split, issue_forecast, winback_list = api
    cf = _customer_feedback(fb, times)
    if cf.empty:
        sec.notes.append("No analyzed row has both a customer_id and a usable time.")
        return
    issues, assignment = (found[0], _timed_assignment(found[1], times)) if found is not None else (None, None)
    plan = _churn_plan(cf, history)
    if isinstance(plan, str):
        sec.notes.append(plan)
        return
    data = {"feedback": cf, "contacts": history.contacts, "events": history.events}
    try:
        split = _call_quiet(fit_time_split, sec.notes, data, plan.train_as_of, plan.test_as_of,
                            horizon_days=plan.horizon, assignment=assignment)
    except Exception as e:  # noqa: BLE001 - an optional section must not sink the report
        sec.notes.append(f"The churn model could not be trained: {_one_line(e)}")
        return
    parts = [_evaluation_html(split, plan, sec)]
    x_now = None
    try:
        x_now, _ = _call_quiet(churn_features, sec.notes, cf, history.contacts, history.events, as_of=plan.now,
                               horizon_days=None, assignment=assignment, include_churned=True)
        active = x_now[~x_now["churned"].fillna(False).astype(bool)] if "churned" in x_now.columns else x_now
        if len(active):
            parts.append(_at_risk_html(split.model.explain(active, top=3), active, plan))
    except Exception as e:  # noqa: BLE001
        sec.notes.append(f"The churn risk of today's customers could not be computed: {_one_line(e)}")
    forecast = None
    if assignment is None or issues is None:
        sec.notes.append("No issue was found in the feedback, so there is no forecast per issue and no win-back list.")
    elif x_now is not None:
        try:
            forecast = _call_quiet(issue_forecast, sec.notes, split.model, x_now, assignment, issues)
        except Exception as e:  # noqa: BLE001
            sec.notes.append(f"The churn forecast per issue could not be computed: {_one_line(e)}")
    if forecast is not None and len(forecast):
        try:
            sec.charts.append(Chart("churn_forecast", "Expected churn per open issue if unfixed, with value at risk",
                                    forecast_chart(forecast, style)))
        except Exception as e:  # noqa: BLE001
            sec.notes.append(f"The forecast chart could not be drawn: {_one_line(e)}")
        parts.append(_forecast_html(forecast, plan))
        if profiles is None:
            sec.notes.append("The win-back list needs the customer profiles (see Personas), which are missing.")
        else:
            top_issue = forecast["issue_id"].iloc[0]
            try:
                wb = _call_quiet(winback_list, sec.notes, top_issue, assignment, profiles, personas, split.model,
                                 issues=issues, features=x_now)
                parts.append(_winback_html(wb, top_issue, forecast))
            except Exception as e:  # noqa: BLE001
                sec.notes.append(f"The win-back list could not be computed: {_one_line(e)}")
    sec.body = "".join(parts)


def _evaluation_html(split: Any, plan: _ChurnPlan, sec: Section) -> str:
    ev = split.evaluation
    kind = getattr(split.model, "kind_", None) or getattr(ev, "model", None) or "?"
    train = ", ".join(f"{t:%Y-%m-%d}" for t in plan.train_as_of)
    n_pos = int(getattr(ev, "n_positive", 0))
    if n_pos < 20:
        sec.notes.append(f"Only {n_pos} customer(s) churned in the test window: the test scores are noisy.")
    if not ev.roc_auc >= 0.7:  # also NaN (one class only)
        sec.notes.append(f"The model separates churners poorly on this data (test ROC-AUC {_fmt(ev.roc_auc, '.2f')} "
                         "< 0.70): treat the risks and the forecast as rough indications.")
    cards = [("ROC-AUC (0.5 = chance)", _fmt(ev.roc_auc, ".3f")),
             ("PR-AUC", f"{_fmt(ev.pr_auc, '.3f')} (base {_pct(ev.base_rate)})"),
             ("Brier", f"{_fmt(ev.brier, '.4f')} (base {_fmt(ev.brier_base, '.4f')})"),
             ("test customers", f"{int(getattr(ev, 'n', 0)):,}"),
             ("churned in the test window", f"{n_pos:,}")]
    return (f"<p>Churn risk = the probability of a <code>churn</code> event in the next {plan.horizon} days "
            f"(<code>voc.churn.ChurnModel</code>, chosen: <code>{_e(kind)}</code>). Time-aware: trained on the "
            f"customers active at {_e(train)} (labels: churn in the {plan.horizon} days after each date), then "
            f"tested once on the customers active at {plan.test_as_of:%Y-%m-%d} and their churn in the "
            f"{plan.horizon} days after it, which training never saw. Test scores:</p>" + _cards(cards))


def _at_risk_html(expl: pd.DataFrame, active: pd.DataFrame, plan: _ChurnPlan) -> str:
    top = expl.sort_values("churn_risk", ascending=False).head(_ROWS)
    rows = []
    for cid, r in top.iterrows():
        value = active["monetary"].get(cid) if "monetary" in active.columns else None
        status = active["problem_status"].get(cid) if "problem_status" in active.columns else None
        rows.append([_e(cid), _pct(float(r["churn_risk"])), _fmt(value, ",.0f"),
                     "–" if status is None or pd.isna(status) else _e(status), _e(r.get("explanation", ""))])
    n_high = int((expl["churn_risk"] >= 0.3).sum())
    return (f"<h3>Customers at risk now ({n_high} of {len(expl):,} active customers at 30 % or more)</h3>"
            f"<p>Risk of churning in the {plan.horizon} days after {plan.now:%Y-%m-%d}, with the features that "
            "push it up the most (model contributions).</p>"
            + _table(["customer", "risk", "value", "problem", "top contributing features"], rows, "wide"))


def _forecast_html(forecast: pd.DataFrame, plan: _ChurnPlan) -> str:
    rows = []
    for _, r in forecast.head(_ROWS).iterrows():
        rows.append([_e(r.get("issue_id", "")), _e(r.get("label", "")), _fmt(r.get("affected"), ".0f"),
                     _fmt(r.get("silent"), ".0f"), _fmt(r.get("already_churned"), ".0f"),
                     _fmt(r.get("active"), ".0f"),
                     f"{_fmt(r.get('expected_churn'))} [{_fmt(r.get('expected_churn_low'))}, "
                     f"{_fmt(r.get('expected_churn_high'))}]",
                     _fmt(r.get("expected_excess_churn"), "+.1f"), _fmt(r.get("value_at_risk"), ",.0f"),
                     _fmt(r.get("high_value_at_risk"), ".0f")])
    return (f"<h3>Churn forecast per open issue (next {plan.horizon} days if unfixed)</h3>"
            "<p>Affected customers (vocal and silent), the expected further churn among the active ones with "
            "a 95 % interval of the outcome noise (not the model's error), the excess over customers without "
            "an open issue, and the value at risk (risk × RFM monetary value). Largest value at risk first.</p>"
            + _table(["issue", "keywords", "affected", "silent", "already churned", "active", "expected churn",
                      "excess", "value at risk", "high-value at risk"], rows, "wide num"))


def _winback_html(wb: pd.DataFrame, issue_id: Any, forecast: pd.DataFrame) -> str:
    label = forecast.set_index("issue_id")["label"].get(issue_id, "") if "label" in forecast.columns else ""
    states = wb["state"].value_counts() if "state" in wb.columns else pd.Series(dtype="int64")
    rows = []
    for _, r in wb.head(_ROWS).iterrows():
        msg = f"{_e(r.get('message_zh', ''))}<br><small>{_e(r.get('message_en', ''))}</small>"
        rows.append([_e(r.get("rank", "")), _e(r.get("customer_id", "")), _e(r.get("state", "")),
                     _fmt(r.get("value"), ",.0f"), _fmt(r.get("likelihood"), ".2f"), msg])
    head = (f"<h3>Win-back list once issue {_e(issue_id)} ({_e(label)}) is fixed</h3>"
            f"<p>The issue with the largest value at risk. {len(wb):,} customers it affected churned "
            f"({int(states.get('churned', 0)):,}) or went quiet ({int(states.get('quiet', 0)):,}), ranked by "
            "value × win-back likelihood, with the suggested message per archetype and non-complaint reason "
            "(the date in the message is the end of the data; <code>voc churn winback --fixed-at</code> "
            "exports the full list).</p>")
    if not rows:
        return head
    return head + _table(["rank", "customer", "state", "value", "likelihood", "suggested message"], rows, "wide")


# ---------------------------------------------------------------------------- output
_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Noto Sans",
"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
header{background:#1f3a5f;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85;font-size:13px}
nav{padding:8px 32px;background:#fff;border-bottom:1px solid #d8dee4;font-size:13px}
nav a{margin-right:14px;color:#1f3a5f;text-decoration:none}
main{max-width:1180px;margin:0 auto;padding:16px 24px 40px;display:grid;grid-template-columns:1fr 1fr;gap:16px}
section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:16px 20px;min-width:0}
section.wide{grid-column:1 / -1}
h2{margin:0 0 10px;font-size:19px;color:#1f3a5f}
h3{margin:14px 0 6px;font-size:15px}
figure{margin:0 0 8px}
figure img{max-width:100%;height:auto;display:block}
.note{background:#fff8e1;border-left:4px solid #f2c94c;padding:6px 10px;margin:6px 0;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #d8dee4;border-radius:6px;padding:8px 14px;min-width:120px}
.card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#57606a}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
table.wide{width:100%}
th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
table.num td:not(:first-child){text-align:right}
code{font-size:12px;color:#57606a;background:#f6f8fa;padding:0 3px;border-radius:3px}
mark{background:#ffe08a;padding:0 1px}
.reason{border-top:1px solid #eaeef2;padding-top:4px}
.reason .n{font-weight:normal;color:#57606a;font-size:13px}
ul.examples{margin:4px 0 8px;padding-left:20px;font-size:14px}
details summary{cursor:pointer;color:#57606a;font-size:13px}
footer{text-align:center;color:#57606a;font-size:12px;padding:0 0 24px}
@media (max-width:900px){main{grid-template-columns:1fr}}
"""

_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.images, bad = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) { bad++; }
  }
  document.body.setAttribute("data-charts", bad === 0 ? "ok" : "broken");
  document.body.setAttribute("data-charts-count", String(imgs.length));
  document.body.setAttribute("data-charts-broken", String(bad));
});
"""

_WIDE = {"summary", "sentiment-over-time", "non-complaint-reasons", "personas", "issues-churn", "churn-winback"}


def _write_outputs(sections: list[Section], output_html: Path, png_dir: Path, title: str, source: str) -> None:
    from voc import __version__

    output_html.parent.mkdir(parents=True, exist_ok=True)
    png_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    k = 0
    for sec in sections:
        figs = []
        for chart in sec.charts:
            k += 1
            fname = f"{k:02d}_{re.sub(r'[^A-Za-z0-9_]+', '_', chart.name)}.png"
            (png_dir / fname).write_bytes(chart.png)
            b64 = base64.b64encode(chart.png).decode("ascii")
            figs.append(f'<figure class="chart" id="chart-{_e(chart.name)}" data-png="{_e(fname)}">'
                        f'<img src="data:image/png;base64,{b64}" alt="{_e(chart.alt)}"></figure>')
        notes = "".join(f'<p class="note">{_e(n)}</p>' for n in sec.notes)
        cls = "wide" if sec.id in _WIDE else ""
        parts.append(f'<section id="{_e(sec.id)}" class="{cls}"><h2>{_e(sec.title)}</h2>{notes}'
                     f'{"".join(figs)}{sec.body}</section>')
    nav = "".join(f'<a href="#{_e(s.id)}">{_e(s.title)}</a>' for s in sections)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f'<body><header><h1>{_e(title)}</h1><p>Source: {_e(source)} · generated {_e(stamp)} by voc '
        f"{_e(__version__)} · works offline (charts are embedded)</p></header><nav>{nav}</nav>"
        f'<main>{"".join(parts)}</main>'
        "<footer>Labels: voc taxonomy (docs/TAXONOMY.md). Example texts are normalized with personal "
        "data masked.</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
    output_html.write_text(page, encoding="utf-8")
