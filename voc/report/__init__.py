"""Self-contained offline HTML report of analyzed feedback (``voc report``).

Example:
    >>> from voc.report import build_report
    >>> build_report("feedback.csv", "report.html")  # doctest: +SKIP
    PosixPath('report.html')

Charts are matplotlib PNGs (Agg, no pyplot; drawn by :mod:`voc.plotting`) embedded as base64 and also written to
``<output stem>_charts/``. See :func:`build_report`.
"""

from __future__ import annotations

from voc.report.build import RESULT_COLUMNS, SECTION_IDS, build_report

__all__ = ["build_report", "RESULT_COLUMNS", "SECTION_IDS"]
