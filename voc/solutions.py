"""Solution recommendation from similar resolved cases (seed 001: "相似案例的一次解决方案").

For a new case -- a text, or an item of the repair queue -- :func:`recommend_solutions`
retrieves the most similar **resolved** cases and ranks the solutions used in them by
how often they closed the case in **one contact**.

**Cases** come from

* a solution table (:func:`load_solutions`; default the bundled hand-written sample
  ``voc/data/solutions_sample.csv``, 42 cases over the seven planted issues of
  :mod:`voc.synthetic`) with the columns ``case_text``, ``solution`` and
  ``contacts_to_close`` (contacts the case needed, 1 = first-contact resolution) and/or
  ``first_contact_resolution`` (bool); optional ``case_id``, ``issue``, ``resolved``
  (rows with ``resolved`` false are left out); or
* contacts with a resolution text (:func:`cases_from_contacts`): every resolved contact
  with a non-empty resolution note closes a case; ``contacts_to_close`` counts the
  contacts of the same customer (and topic) since the previous closed case.

**Similarity.** Case texts (plus their issue code, when given) are embedded with
:class:`voc.issues.TextSpace` -- TF-IDF over character 2-3 grams and words,
L2-normalised -- so the cosine is a dot product. A query keeps its ``k`` nearest cases
(20) with cosine ``>= min_similarity`` (0.1).

**Ranking.** The neighbours are grouped by solution (text with whitespace removed).
For each solution::

    score           = sum over its neighbours of cosine x [closed in one contact]
    one_contact_rate = score / sum over its neighbours of cosine

Solutions are ranked by ``score`` (the similarity-weighted count of one-contact
closures), then ``one_contact_rate``, then the best cosine. A solution that was used
often but always needed several contacts ranks below one that closed similar cases in
one contact. Each recommendation carries its evidence cases (id, text, cosine,
contacts to close) and a one-line explanation.

Example:
    >>> from voc.solutions import recommend_solutions
    >>> rec = recommend_solutions("退款申请了一个星期还没到账，怎么回事")
    >>> rec.loc[0, "issue"]
    'refund_delay'
    >>> rec.loc[0, "evidence"][0]["case_id"]
    'S002'
    >>> bool(rec.loc[0, "score"] >= rec.loc[1, "score"])
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.schema import parse_bool

__all__ = [
    "DEFAULT_SOLUTIONS",
    "RESULT_COLUMNS",
    "load_solutions",
    "cases_from_contacts",
    "SolutionIndex",
    "recommend_solutions",
]

DEFAULT_SOLUTIONS = Path(__file__).parent / "data" / "solutions_sample.csv"
#: Columns of :func:`recommend_solutions` output.
RESULT_COLUMNS: tuple[str, ...] = (
    "query_id",
    "query_text",
    "rank",
    "solution",
    "score",
    "one_contact_rate",
    "n_cases",
    "n_one_contact",
    "mean_contacts_to_close",
    "best_similarity",
    "issue",
    "evidence",
    "explanation",
)
_WS = re.compile(r"\s+")
#: Text columns tried, in order, for the case description of a contact.
_CONTACT_TEXT_COLS = ("text", "description", "summary", "transcript", "content")


# --------------------------------------------------------------------------- helpers
def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and np.isnan(v)


def _text(v: Any) -> str:
    return "" if _missing(v) else str(v).strip()


def _bool(v: Any) -> bool | None:
    """``True`` / ``False`` for a bool-like value, ``None`` when missing; ``ValueError`` otherwise
    (:func:`voc.schema.parse_bool`, the one boolean parser)."""
    return parse_bool(v, strict=True)


def _read(path: str | Path) -> pd.DataFrame:
    """A solution table by extension (:func:`voc.tables.read_frame`, ``case_id`` as text)."""
    from voc.tables import READERS, read_frame

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = p.suffix.lower()
    if suffix not in READERS:
        raise ValueError(
            f"{path}: unsupported solution table type {suffix!r} (use .csv, .jsonl, .parquet, .xlsx)"
        )
    return read_frame(p, dtype=None if suffix == ".parquet" else {"case_id": str})


def _solution_key(s: str) -> str:
    return _WS.sub("", s)


# --------------------------------------------------------------------------- case tables
def load_solutions(table: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a solution table (default: the bundled sample).

    Args:
        table: A DataFrame or a file (.csv, .tsv, .jsonl, .parquet, .xlsx) with the
            columns ``case_text``, ``solution`` and at least one of
            ``contacts_to_close`` (integer >= 1) and ``first_contact_resolution``
            (bool: true/false, 1/0, yes/no, 是/否). Optional: ``case_id``, ``issue``,
            ``resolved`` (rows with a false value are dropped: only resolved cases
            count); other columns are kept.

    Returns:
        The resolved cases with non-empty text and solution: ``case_id`` (given, else
        ``case<n>``), ``issue`` (``None`` when not given), ``case_text``,
        ``solution``, ``contacts_to_close`` (float, NaN when unknown),
        ``first_contact_resolution`` (bool: the given value, else
        ``contacts_to_close == 1``), then the other columns. ``attrs["dropped"]``
        counts the rows left out (unresolved, empty text or solution).

    Raises:
        TypeError: ``table`` is neither a DataFrame nor a path.
        FileNotFoundError: The file does not exist.
        ValueError: A required column is missing, a value is not a valid count or
            bool, or no usable case is left.
    """
    if table is None:
        df = _read(DEFAULT_SOLUTIONS)
    elif isinstance(table, pd.DataFrame):
        df = table.copy()
    elif isinstance(table, (str, Path)):
        df = _read(table)
    else:
        raise TypeError(f"solution table must be a DataFrame or a file path, not {type(table).__name__}")
    missing = [c for c in ("case_text", "solution") if c not in df.columns]
    if missing:
        raise ValueError(f"solution table is missing column(s) {missing}; found {list(df.columns)}")
    has_ctc = "contacts_to_close" in df.columns
    has_fcr = "first_contact_resolution" in df.columns
    if not (has_ctc or has_fcr):
        raise ValueError(
            "solution table needs a 'contacts_to_close' or a 'first_contact_resolution' column; "
            f"found {list(df.columns)}"
        )
    n0 = len(df)
    df = df.reset_index(drop=True)
    if "resolved" in df.columns:
        try:
            res = [_bool(v) for v in df["resolved"]]
        except ValueError as e:
            raise ValueError(f"solution table: 'resolved' must be true/false, got {e.args[0]!r}") from e
        df = df[[r is not False for r in res]].reset_index(drop=True)
    df["case_text"] = [_text(v) for v in df["case_text"]]
    df["solution"] = [_text(v) for v in df["solution"]]
    df = df[(df["case_text"] != "") & (df["solution"] != "")].reset_index(drop=True)
    if has_ctc:
        ctc = pd.to_numeric(df["contacts_to_close"], errors="coerce")
        bad = (df["contacts_to_close"].notna() & ctc.isna()) | (ctc < 1) | (ctc.notna() & (ctc % 1 != 0))
        if bad.any():
            raise ValueError(
                "solution table: contacts_to_close must be a whole number >= 1, got "
                f"{df.loc[bad, 'contacts_to_close'].head(5).tolist()}"
            )
        df["contacts_to_close"] = ctc.astype(float)
    else:
        df["contacts_to_close"] = np.nan
    fcr: list[bool | None] = [None] * len(df)
    if has_fcr:
        try:
            fcr = [_bool(v) for v in df["first_contact_resolution"]]
        except ValueError as e:
            raise ValueError(
                f"solution table: first_contact_resolution must be true/false, got {e.args[0]!r}"
            ) from e
    from_ctc = [None if np.isnan(c) else bool(c == 1) for c in df["contacts_to_close"]]
    merged = [f if f is not None else c for f, c in zip(fcr, from_ctc, strict=True)]
    unknown = [i for i, v in enumerate(merged) if v is None]
    if unknown:
        raise ValueError(
            f"solution table: {len(unknown)} row(s) with neither contacts_to_close nor "
            f"first_contact_resolution (first: case_text {df.loc[unknown[0], 'case_text']!r})"
        )
    df["first_contact_resolution"] = [bool(v) for v in merged]
    if df.empty:
        raise ValueError("solution table has no resolved case with a case_text and a solution")
    if "case_id" in df.columns:
        ids = [_text(v) for v in df["case_id"]]
        df["case_id"] = [v or f"case{i}" for i, v in enumerate(ids)]
    else:
        df["case_id"] = [f"case{i}" for i in range(len(df))]
    if "issue" not in df.columns:
        df["issue"] = None
    df["issue"] = [None if _text(v) == "" else _text(v) for v in df["issue"]]
    front = ["case_id", "issue", "case_text", "solution", "contacts_to_close", "first_contact_resolution"]
    out = df[front + [c for c in df.columns if c not in front]]
    out.attrs["dropped"] = n0 - len(out)
    return out


def cases_from_contacts(
    contacts: pd.DataFrame,
    feedback: pd.DataFrame | None = None,
    *,
    resolution_col: str = "resolution",
    case_col: str | None = None,
    issue_col: str | None = "topic",
    max_gap_days: float = 60,
    attach_days: float = 1,
    text_col: str = "text",
) -> pd.DataFrame:
    """Resolved cases from contacts that carry a resolution note.

    A contact **closes a case** when its ``resolution_col`` text is not empty and, if
    the table has a ``resolved`` column, ``resolved`` is true (a note on an
    unresolved contact is a failed attempt and is not a case). The **episode** of a
    case is the run of contacts of the same customer (and the same ``issue_col``
    value, when that column exists) since the previous closed case, with no gap longer
    than ``max_gap_days``; ``contacts_to_close`` is its length.

    The **case text** is the first non-empty ``case_col`` text of the episode
    (default: the first of ``text``, ``description``, ``summary``, ``transcript``,
    ``content`` that exists); without one, the customer's first feedback text from
    ``attach_days`` before the episode to the closing contact (a negative one when
    ``feedback`` has a ``sentiment`` column). Cases without any text are left out
    (counted in ``attrs["skipped"]``).

    Args:
        contacts: Contacts with ``customer_id``, ``timestamp`` and ``resolution_col``.
        feedback: Optional feedback (``customer_id``, ``timestamp``, ``text_col``) for
            the case text.
        resolution_col: Column with the resolution note (the solution).
        case_col: Column of ``contacts`` describing the problem.
        issue_col: Column of ``contacts`` naming the issue / topic (ignored when absent).
        max_gap_days: A longer gap between two contacts starts a new episode.
        attach_days: Feedback this many days before the episode still describes it.
        text_col: Text column of ``feedback``.

    Returns:
        A case table for :func:`load_solutions`: ``case_id`` (``contact:<row>``),
        ``issue``, ``case_text``, ``solution``, ``contacts_to_close``,
        ``first_contact_resolution``, ``customer_id``, ``timestamp``,
        ``source_row`` (index label of the closing contact).

    Raises:
        ValueError: A required column is missing, timestamps do not parse, or no
            contact closes a case.
    """
    need = ["customer_id", "timestamp", resolution_col]
    missing = [c for c in need if c not in contacts.columns]
    if missing:
        raise ValueError(
            f"contacts are missing column(s) {missing} for solution cases; found {list(contacts.columns)}"
        )
    ct = contacts.copy()
    try:
        ct["_t"] = pd.to_datetime(ct["timestamp"], format="mixed")
    except (ValueError, TypeError) as e:
        raise ValueError(f"contacts: timestamp does not parse ({str(e).splitlines()[0]})") from e
    if case_col is None:
        case_col = next((c for c in _CONTACT_TEXT_COLS if c in ct.columns), None)
    elif case_col not in ct.columns:
        raise ValueError(f"contacts have no case text column {case_col!r}; found {list(ct.columns)}")
    use_issue = issue_col is not None and issue_col in ct.columns
    if "resolved" in ct.columns:
        try:
            resolved = [_bool(v) for v in ct["resolved"]]
        except ValueError as e:
            raise ValueError(f"contacts: 'resolved' must be true/false, got {e.args[0]!r}") from e
    else:
        resolved = [None] * len(ct)
    ct["_res"] = [_text(v) for v in ct[resolution_col]]
    ct["_closes"] = [r != "" and ok is not False for r, ok in zip(ct["_res"], resolved, strict=True)]
    ct = ct[ct["customer_id"].notna() & ct["_t"].notna()]
    if not ct["_closes"].any():
        raise ValueError(
            f"no contact closes a case: column {resolution_col!r} is empty on every resolved contact"
        )

    fb_by: dict[Any, pd.DataFrame] = {}
    if feedback is not None and len(feedback):
        fmiss = [c for c in ("customer_id", "timestamp", text_col) if c not in feedback.columns]
        if fmiss:
            raise ValueError(f"feedback is missing column(s) {fmiss}; found {list(feedback.columns)}")
        f = feedback[feedback["customer_id"].isin(set(ct["customer_id"]))].copy()
        f["_t"] = pd.to_datetime(f["timestamp"], errors="coerce", format="mixed")
        f = f[f["_t"].notna()]
        if "sentiment" in f.columns:
            f["_neg"] = f["sentiment"].astype(str) == "negative"
        else:
            f["_neg"] = True
        fb_by = {c: g.sort_values("_t") for c, g in f.groupby("customer_id", sort=False)}

    gap = pd.Timedelta(days=max_gap_days)
    before = pd.Timedelta(days=attach_days)
    keys = ["customer_id", issue_col] if use_issue else ["customer_id"]
    ct = ct.sort_values([*keys, "_t"], kind="stable")
    rows = []
    skipped = 0
    for _, g in ct.groupby(keys, sort=False, dropna=False):
        episode: list[Any] = []
        last_t = None
        for row, r in g.iterrows():
            if last_t is not None and r["_t"] - last_t > gap:
                episode = []
            episode.append(row)
            last_t = r["_t"]
            if not r["_closes"]:
                continue
            ep = g.loc[episode]
            text = ""
            if case_col is not None:
                text = next((t for t in (_text(v) for v in ep[case_col]) if t), "")
            if not text and r["customer_id"] in fb_by:
                fbc = fb_by[r["customer_id"]]
                w = fbc[(fbc["_t"] >= ep["_t"].min() - before) & (fbc["_t"] <= r["_t"])]
                w = w[w["_neg"]] if w["_neg"].any() else w
                text = next((t for t in (_text(v) for v in w[text_col]) if t), "")
            if text:
                rows.append(
                    {
                        "case_id": f"contact:{row}",
                        "issue": r[issue_col] if use_issue else None,
                        "case_text": text,
                        "solution": r["_res"],
                        "contacts_to_close": len(episode),
                        "first_contact_resolution": len(episode) == 1,
                        "customer_id": r["customer_id"],
                        "timestamp": r["_t"],
                        "source_row": row,
                    }
                )
            else:
                skipped += 1
            episode = []
            last_t = None
    out = pd.DataFrame(
        rows,
        columns=[
            "case_id",
            "issue",
            "case_text",
            "solution",
            "contacts_to_close",
            "first_contact_resolution",
            "customer_id",
            "timestamp",
            "source_row",
        ],
    )
    out.attrs["skipped"] = skipped
    return out


# --------------------------------------------------------------------------- queries
def _item_text(item: Mapping[str, Any], text_col: str) -> str:
    """The text of one query row: ``text_col``, else the evidence texts of a queue item, else its summary."""
    if text_col in item and not _missing(item[text_col]) and not isinstance(item[text_col], (list, dict)):
        return _text(item[text_col])
    parts: list[str] = []
    ev = item.get("evidence")
    if isinstance(ev, str) and ev.strip().startswith("["):
        try:
            ev = json.loads(ev)
        except ValueError:
            ev = None
    if isinstance(ev, (list, tuple, np.ndarray)):
        for e in ev:
            t = _text(e.get("text")) if isinstance(e, Mapping) else _text(e)
            if t and t not in parts:
                parts.append(t)
    if not parts and not _missing(item.get("summary")):
        parts.append(_text(item.get("summary")))
    issue = item.get("issue")
    if parts and not _missing(issue) and not isinstance(issue, (list, dict)):
        parts.append(_text(issue))
    return "。".join(parts)


def _queries(queries: Any, text_col: str) -> tuple[list[Any], list[str]]:
    """Query ids and texts from a text, texts, a DataFrame (texts or queue items) or one queue item."""
    if isinstance(queries, str):
        if not queries.strip():
            raise ValueError("empty text: nothing to recommend for")
        return [0], [queries.strip()]
    if isinstance(queries, pd.DataFrame):
        if queries.empty:
            raise ValueError("no cases to recommend for (empty table)")
        if not ({text_col, "evidence", "summary"} & set(queries.columns)):
            raise ValueError(
                f"queries have no {text_col!r}, 'evidence' or 'summary' column; found {list(queries.columns)}"
            )
        ids = queries["item_id"].tolist() if "item_id" in queries.columns else queries.index.tolist()
        return ids, [_item_text(r, text_col) for r in queries.to_dict("records")]
    if isinstance(queries, pd.Series) and ({"evidence", "summary"} & set(map(str, queries.index))):
        item = queries.to_dict()
        return [item.get("item_id", queries.name)], [_item_text(item, text_col)]
    if isinstance(queries, Mapping):
        return [queries.get("item_id", 0)], [_item_text(queries, text_col)]
    if isinstance(queries, pd.Series):
        ids, vals = queries.index.tolist(), queries.tolist()
    elif isinstance(queries, Iterable) and not isinstance(queries, (bytes, bytearray)):
        vals = list(queries)
        ids = list(range(len(vals)))
    else:
        raise TypeError(
            "queries must be a text, a list of texts, a Series, a DataFrame or a queue item, "
            f"not {type(queries).__name__}"
        )
    if not vals:
        raise ValueError("no texts to recommend for (empty list)")
    bad = [type(v).__name__ for v in vals if not (isinstance(v, str) or _missing(v))]
    if bad:
        raise TypeError(f"queries must be texts; got {bad[0]}")
    return ids, [_text(v) for v in vals]


# --------------------------------------------------------------------------- index
class SolutionIndex:
    """Resolved cases embedded for retrieval; recommends solutions for new cases.

    Args:
        cases: A solution table (see :func:`load_solutions`; ``None`` = the bundled
            sample) or the output of :func:`cases_from_contacts`.
        use_issue: Add each case's ``issue`` code to its text (so queue items whose
            summary names the issue match cases of that issue).
        space: A :class:`voc.issues.TextSpace` to fit (default: ``TextSpace(min_df=1)``).

    Attributes:
        cases: The checked case table.
        space: The fitted text space.
        matrix: The L2-normalised case vectors (sparse, one row per case).
    """

    def __init__(
        self,
        cases: str | Path | pd.DataFrame | None = None,
        *,
        use_issue: bool = True,
        space: Any = None,
    ) -> None:
        from voc.issues import TextSpace

        self.cases = load_solutions(cases)
        self.space = space if space is not None else TextSpace(min_df=1)
        docs = [
            f"{t} {i}" if use_issue and i else t
            for t, i in zip(self.cases["case_text"], self.cases["issue"], strict=True)
        ]
        self.matrix = self.space.fit_transform(docs)
        self._keys = [_solution_key(s) for s in self.cases["solution"]]

    def search(
        self, texts: list[str], k: int = 20, min_similarity: float = 0.1
    ) -> list[list[tuple[int, float]]]:
        """The ``k`` most similar cases of each text with cosine ``>= min_similarity`` (and above 0).

        Args:
            texts: Query texts (empty texts get no neighbour).
            k: Neighbours per text.
            min_similarity: Smallest cosine kept.

        Returns:
            Per text, ``(case position, cosine)`` pairs, most similar first.
        """
        out: list[list[tuple[int, float]]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t]
        for start in range(0, len(todo), 1000):
            chunk = todo[start : start + 1000]
            sims = (self.space.transform([texts[i] for i in chunk]) @ self.matrix.T).toarray()
            for qi, row in zip(chunk, sims, strict=True):
                kk = min(k, len(row))
                idx = np.argpartition(-row, kk - 1)[:kk]
                idx = idx[np.argsort(-row[idx], kind="stable")]
                out[qi] = [(int(j), float(row[j])) for j in idx if row[j] >= min_similarity and row[j] > 0]
        return out

    def recommend(
        self,
        queries: Any,
        *,
        top: int = 3,
        k: int = 20,
        min_similarity: float = 0.1,
        text_col: str = "text",
    ) -> pd.DataFrame:
        """Rank the solutions of the most similar resolved cases for each query.

        Args:
            queries: A text; a list / Series of texts; a DataFrame with a ``text_col``
                column; repair-queue items (:func:`voc.repair.build_repair_queue`
                rows: their evidence texts, else summary, plus the issue); or one
                queue item (a row Series or a dict).
            top: Solutions kept per query.
            k: Similar cases retrieved per query.
            min_similarity: Smallest cosine for a case to count.
            text_col: Text column of a query DataFrame.

        Returns:
            DataFrame with :data:`RESULT_COLUMNS`, ``top`` rows per query (best
            first): ``query_id`` (the index, or ``item_id`` of queue items),
            ``query_text``, ``rank``, ``solution``, ``score`` (similarity-weighted
            count of one-contact closures), ``one_contact_rate`` (``score`` / summed
            similarity), ``n_cases``, ``n_one_contact``, ``mean_contacts_to_close``,
            ``best_similarity``, ``issue`` (most common issue of the evidence cases),
            ``evidence`` (list of ``{case_id, issue, case_text, similarity,
            contacts_to_close, first_contact_resolution}``, most similar first) and
            ``explanation``. A query with no similar case (or an empty text) gets one
            row with ``rank`` and ``solution`` missing and the reason in
            ``explanation``.

        Raises:
            ValueError: No query text, or bad ``top`` / ``k`` / ``min_similarity``.
            TypeError: ``queries`` is of an unsupported type.
        """
        if top < 1 or k < 1:
            raise ValueError(f"top and k must be >= 1, got top={top}, k={k}")
        if not 0 <= min_similarity <= 1:
            raise ValueError(f"min_similarity must be in [0, 1], got {min_similarity}")
        ids, texts = _queries(queries, text_col)
        if not any(texts):
            raise ValueError("every query text is empty: nothing to recommend for")
        hits = self.search(texts, k=k, min_similarity=min_similarity)
        cases = self.cases
        ctc = cases["contacts_to_close"].to_numpy()
        fcr = cases["first_contact_resolution"].to_numpy(dtype=bool)
        rows: list[dict[str, Any]] = []
        for qid, text, nb in zip(ids, texts, hits, strict=True):
            if not nb:
                why = "empty text" if not text else f"no resolved case with cosine >= {min_similarity:g}"
                rows.append(
                    {
                        "query_id": qid,
                        "query_text": text,
                        "rank": pd.NA,
                        "n_cases": 0,
                        "evidence": [],
                        "explanation": why,
                    }
                )
                continue
            groups: dict[str, list[tuple[int, float]]] = {}
            for j, s in nb:
                groups.setdefault(self._keys[j], []).append((j, s))
            recs = []
            for members in groups.values():
                sims = np.array([s for _, s in members])
                ones = np.array([fcr[j] for j, _ in members])
                score = float((sims * ones).sum())
                known = [ctc[j] for j, _ in members if not np.isnan(ctc[j])]
                issues = [cases.at[j, "issue"] for j, _ in members if cases.at[j, "issue"]]
                recs.append(
                    {
                        "solution": cases.at[members[0][0], "solution"],
                        "score": score,
                        "one_contact_rate": score / float(sims.sum()),
                        "n_cases": len(members),
                        "n_one_contact": int(ones.sum()),
                        "mean_contacts_to_close": float(np.mean(known)) if known else np.nan,
                        "best_similarity": float(sims.max()),
                        "issue": max(set(issues), key=issues.count) if issues else None,
                        "evidence": [
                            {
                                "case_id": cases.at[j, "case_id"],
                                "issue": cases.at[j, "issue"],
                                "case_text": cases.at[j, "case_text"],
                                "similarity": round(s, 4),
                                "contacts_to_close": None if np.isnan(ctc[j]) else int(ctc[j]),
                                "first_contact_resolution": bool(fcr[j]),
                            }
                            for j, s in members
                        ],
                    }
                )
            recs.sort(key=lambda r: (-r["score"], -r["one_contact_rate"], -r["best_similarity"]))
            for rank, r in enumerate(recs[:top], start=1):
                mean = r["mean_contacts_to_close"]
                r["explanation"] = (
                    f"{r['n_cases']} similar resolved case(s) (best cosine {r['best_similarity']:.2f}) "
                    f"used this solution; {r['n_one_contact']} of {r['n_cases']} closed in one contact "
                    f"(similarity-weighted {r['score']:.2f}, rate {r['one_contact_rate']:.0%})"
                    + ("" if np.isnan(mean) else f"; mean contacts to close {mean:.1f}")
                )
                rows.append({"query_id": qid, "query_text": text, "rank": rank, **r})
        out = pd.DataFrame(rows).reindex(columns=list(RESULT_COLUMNS))
        out["rank"] = out["rank"].astype("Int64")
        for c in ("score", "one_contact_rate", "best_similarity", "mean_contacts_to_close"):
            out[c] = out[c].astype(float).round(4)
        out["n_cases"] = out["n_cases"].fillna(0).astype(int)
        out["n_one_contact"] = out["n_one_contact"].fillna(0).astype(int)
        out.attrs["n_cases"] = len(cases)
        return out


def recommend_solutions(
    queries: Any,
    solutions: str | Path | pd.DataFrame | None = None,
    *,
    contacts: pd.DataFrame | None = None,
    feedback: pd.DataFrame | None = None,
    resolution_col: str = "resolution",
    top: int = 3,
    k: int = 20,
    min_similarity: float = 0.1,
    text_col: str = "text",
) -> pd.DataFrame:
    """Recommend solutions for new cases from the most similar resolved cases.

    The cases are ``solutions`` (a solution table, see :func:`load_solutions`) and/or
    the resolved contacts of ``contacts`` with a ``resolution_col`` note
    (:func:`cases_from_contacts`, case texts from the contacts or ``feedback``); with
    neither, the bundled sample table ``voc/data/solutions_sample.csv``.

    Args:
        queries: A text, texts, a DataFrame with ``text_col``, repair-queue items or
            one queue item (see :meth:`SolutionIndex.recommend`).
        solutions: Solution table (DataFrame or file).
        contacts: Contacts with a resolution note.
        feedback: Feedback for the case texts of ``contacts``.
        resolution_col: Resolution column of ``contacts``.
        top: Solutions per query.
        k: Similar cases per query.
        min_similarity: Smallest cosine for a case to count.
        text_col: Text column of a query DataFrame (and of ``feedback``).

    Returns:
        See :meth:`SolutionIndex.recommend`.

    Raises:
        ValueError: Bad or empty input (one-line message).
        TypeError: Unsupported query or table type.
    """
    tables = []
    if solutions is not None:
        tables.append(load_solutions(solutions))
    if contacts is not None:
        tables.append(
            load_solutions(
                cases_from_contacts(contacts, feedback, resolution_col=resolution_col, text_col=text_col)
            )
        )
    cases = pd.concat(tables, ignore_index=True) if tables else None
    return SolutionIndex(cases).recommend(
        queries, top=top, k=k, min_similarity=min_similarity, text_col=text_col
    )
