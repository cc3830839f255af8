"""Build the self-contained HTML report (``voc report``).

See :func:`build_report`. The page has no external resource at all: charts are
inline base64 PNGs, CSS and the one tiny script are inline, so it opens offline
and can be mailed as one file. Every text taken from the data is HTML-escaped, and
example texts are the analyzer's *normalized* texts (PII masked: ``<PHONE>`` ...),
never the raw input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from voc._extras import require
from voc._write import refuse_input_overwrite
from voc.plotting import REPORT_FEATURE, ChartStyle, cjk_font
from voc.report.customer_sections import _customer_sections
from voc.report.html import _write_outputs
from voc.report.inputs import (
    RESULT_COLUMNS,
    _default_taxonomy,
    _ensure_analyzed,
    _masked_texts,
    _optional_table,
    _parse_times,
    _read_table,
)
from voc.report.text_sections import (
    _TOP,
    _count_section,
    _multi_counts,
    _reasons_section,
    _single_counts,
    _summary_section,
    _time_section,
)

__all__ = ["build_report", "RESULT_COLUMNS", "SECTION_IDS"]

#: ``id`` attributes of the report's sections, in page order.
SECTION_IDS = ("summary", "sentiment-over-time", "emotions", "intents", "aspects", "complaint-stages",
               "non-complaint-reasons", "personas", "issues-churn", "churn-winback")


# ---------------------------------------------------------------------------- public API
def build_report(df_or_path: pd.DataFrame | str | Path, output_html: str | Path, *, text_col: str = "text",
                 time_col: str = "timestamp", nlp: Any = None, png_dir: str | Path | None = None,
                 title: str = "Voice of the customer", contacts: pd.DataFrame | str | Path | None = None,
                 events: pd.DataFrame | str | Path | None = None, source: str | Path | None = None) -> Path:
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
        voc._extras.MissingExtra: matplotlib is not installed (``pip install 'voc-zh[report]'``).
    """
    name = Path(source).name if source is not None and str(source).strip() else None
    if isinstance(df_or_path, (str, Path)):
        name = name or Path(df_or_path).name
        df = _read_table(Path(df_or_path))
    elif isinstance(df_or_path, pd.DataFrame):
        df = df_or_path
    else:
        raise TypeError(f"build_report expects a DataFrame or a file path, got {type(df_or_path).__name__}")
    shown = name or "DataFrame"
    if text_col not in df.columns:
        raise KeyError(f"column {text_col!r} not in the data; columns are {list(map(str, df.columns))}")
    if df.empty:
        raise ValueError("no rows to report on")
    extra = {name: _optional_table(name, value) for name, value in (("contacts", contacts), ("events", events))}
    output_html = Path(output_html)
    refuse_input_overwrite(output_html, [v for v in (df_or_path, contacts, events) if isinstance(v, (str, Path))])
    png_dir = Path(png_dir) if png_dir is not None else output_html.with_name(output_html.stem + "_charts")

    require("matplotlib", "report", REPORT_FEATURE)  # before the analysis: fail fast, one line
    notes: list[str] = []
    df = df.reset_index(drop=True)
    df = _ensure_analyzed(df, text_col, nlp, notes)
    masked = _masked_texts(df[text_col], nlp)
    times, time_note = _parse_times(df, time_col)
    taxonomy = nlp.taxonomy if nlp is not None and hasattr(nlp, "taxonomy") else _default_taxonomy()
    names = {t: taxonomy.names(t) for t in taxonomy.tasks}
    font = cjk_font()
    style = ChartStyle(font, names)
    if not style.chinese:
        notes.append("No font with Chinese glyphs was found (fc-list :lang=zh), so chart axes show label "
                     "codes; the tables under each chart give the Chinese names.")

    ok = df["error"].isna() if "error" in df.columns else pd.Series(True, index=df.index)
    ok &= df["sentiment"].notna()
    sections = [
        _summary_section(df, ok, times, names, shown, notes),
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
    _write_outputs(sections, output_html, png_dir, title, shown)
    return output_html
