"""The customer sections: personas, issues & churn, and (via :mod:`voc.report.churn_section`) churn risk."""

from __future__ import annotations

import pandas as pd

from voc.plotting import ChartStyle, barh_chart, issue_chart
from voc.report.churn_section import _churn_section
from voc.report.customer_data import (
    _call_quiet,
    _customer_feedback,
    _fits,
    _History,
    _history_tables,
    _lookup,
    _make_history,
    _one_line,
)
from voc.report.html import Chart, Section, _e, _highlight, _pct, _table

#: A persona tag held by at least this share of the customers carries no information: left out.
_COMMON_TAG_SHARE = 0.95
_MIN_CUSTOMERS_FOR_SHARE = 5


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
    if not _fits(profile_customers, cf) or not _fits(assign_personas, cf):
        sec.notes.append("voc.customers / voc.personas have an unexpected signature; personas are not shown.")
        return None, None
    try:  # one History: the tables checked once, profiles computed once
        h = _make_history(cf, history, sec.notes)
        profiles = _call_quiet(h.profile, sec.notes)  # cached in the History
        table = _call_quiet(assign_personas, sec.notes, h)
    except Exception as e:  # noqa: BLE001 - a failing optional section must not sink the report
        history.history = None
        if not history.given:
            sec.notes.append(f"Personas could not be computed: {_one_line(e)}")
            return None, None
        try:  # a bad contacts / events table must not cost the personas of the feedback
            h = _make_history(cf, history, sec.notes, use_tables=False)
            profiles = _call_quiet(h.profile, sec.notes)
            table = _call_quiet(assign_personas, sec.notes, h)
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
        tag_counts = pd.Series([tag for tags in table["tags"] if isinstance(tags, list)
                                for tag in dict.fromkeys(t.get("tag") for t in tags if isinstance(t, dict))
                                if tag is not None]).value_counts()
        common = _uninformative_tags(tag_counts, len(table))
        if common:
            sec.notes.append(
                f"Type tags held by {_COMMON_TAG_SHARE:.0%} or more of the customers are left out, as they do "
                "not tell customers apart: "
                + ", ".join(f"{tag} ({int(tag_counts[tag])} of {len(table)})" for tag in common) + ".")
            tag_counts = tag_counts.drop(common)
        if len(tag_counts):
            body += "<h3>Type tags</h3>" + _table(
                ["tag", "customers"], [[_e(k), str(int(v))] for k, v in tag_counts.head(15).items()], "num")
        rows = []
        ranked = table.assign(_s=pd.to_numeric(table.get("archetype_score"), errors="coerce").fillna(0))
        for cid, r in ranked.sort_values("_s", ascending=False).head(12).iterrows():
            tags = [t for t in r["tags"] if not (isinstance(t, dict) and t.get("tag") in common)] \
                if isinstance(r["tags"], list) else []
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


def _uninformative_tags(counts: pd.Series, n_customers: int) -> list[str]:
    """Tags held by at least :data:`_COMMON_TAG_SHARE` of the customers (only from 5 customers on).

    Args:
        counts: Customers per tag.
        n_customers: Customers in the persona table.

    Returns:
        The tags to leave out of the persona tables, most common first.
    """
    if n_customers < _MIN_CUSTOMERS_FOR_SHARE:
        return []
    return [str(tag) for tag, v in counts.items() if v >= _COMMON_TAG_SHARE * n_customers]


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
