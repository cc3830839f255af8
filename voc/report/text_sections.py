"""The text-analysis sections: summary, sentiment over time, label counts and non-complaint reasons."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from voc.plotting import ChartStyle, barh_chart, sentiment_time_chart
from voc.report.html import Chart, Section, _details, _e, _highlight, _name, _pct, _table
from voc.schema import parse_list

_TOP = 10
_EXAMPLES = 3


# ---------------------------------------------------------------------------- counting
_as_list = parse_list  # the one list-cell parser (voc.schema)


def _single_counts(df: pd.DataFrame, ok: pd.Series, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(dtype="int64")
    return df.loc[ok, col].dropna().astype(str).value_counts()


def _multi_counts(df: pd.DataFrame, ok: pd.Series, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(dtype="int64")
    exploded = df.loc[ok, col].map(_as_list).explode().dropna()
    return exploded.astype(str).value_counts()


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
