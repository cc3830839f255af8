"""All matplotlib code of voc: the report's PNG charts and the ``plot_*`` helpers.

matplotlib is imported inside the functions only, so ``import voc`` never loads it.

* One CJK font finder, :func:`cjk_font`: fontconfig (``fc-list :lang=zh``), else the
  families of :data:`CJK_FAMILIES` that matplotlib knows, and only a font whose glyphs
  really cover Chinese. Every chart below uses it.
* Report charts (:func:`barh_chart`, :func:`sentiment_time_chart`, :func:`issue_chart`,
  :func:`forecast_chart`) are drawn on :class:`matplotlib.figure.Figure` objects
  without pyplot, so no global backend is switched and nothing opens a window; they
  return PNG bytes. Every string is drawn only when the chosen fonts have all its
  glyphs (:meth:`ChartStyle.drawable`); otherwise its ASCII fallback (the label code)
  is drawn, so no chart shows boxes. Matplotlib's font warnings are silenced around
  plotting only (:func:`quiet_fonts`).
* Notebook plots on a matplotlib ``Axes``: :func:`plot_churn_by_issue`
  (re-exported by :mod:`voc.issues`), :func:`plot_issue_forecast` (:mod:`voc.churn`),
  :func:`plot_emotion_curve` (:mod:`voc.journey`); :func:`headless_pyplot` and
  :func:`save_figure` for scripts and the CLI.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc._extras import require

__all__ = ["cjk_font", "quiet_fonts", "ChartStyle", "barh_chart", "sentiment_time_chart", "issue_chart",
           "forecast_chart", "plot_churn_by_issue", "plot_issue_forecast", "plot_emotion_curve", "headless_pyplot",
           "save_figure", "CJK_FAMILIES"]

SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}
#: What needs matplotlib, in the one-line install hint.
REPORT_FEATURE = "the HTML report (voc report)"

_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
#: Characters a font must have to count as Chinese-capable (common words of the report).
_CJK_PROBE = "中文客服物流退款投诉满意"
_BASE_FONT = "DejaVu Sans"
#: Font families :func:`cjk_font` looks for in matplotlib's font list when fontconfig
#: (``fc-list``) is not installed (Windows, macOS), preferred first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "AR PL UMing CN",
)


@contextmanager
def quiet_fonts() -> Iterator[None]:
    """Silence matplotlib's font warnings (missing glyphs, ``findfont``) inside the block only."""
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"(?s).*[Gg]lyph.*missing from", category=UserWarning)
            warnings.filterwarnings("ignore", message=r"(?s).*findfont", category=UserWarning)
            warnings.filterwarnings("ignore", module=r"matplotlib\.font_manager")
            yield
    finally:
        logger.setLevel(level)


def _quiet(fn: Callable[..., bytes]) -> Callable[..., bytes]:
    """Run a chart function under :func:`quiet_fonts`."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> bytes:
        with quiet_fonts():
            return fn(*args, **kwargs)

    return wrapper


@lru_cache(maxsize=16)
def _charmap(family: str) -> frozenset[int]:
    """Code points the font ``family`` has glyphs for (empty when matplotlib cannot find it)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    try:
        with quiet_fonts():
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        return frozenset(FT2Font(path).get_charmap())
    except Exception:  # noqa: BLE001 - a missing or unreadable font draws nothing
        return frozenset()


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Family name of an installed font with Chinese glyphs, registered with matplotlib.

    The one font finder of voc (report charts and ``plot_*`` functions): the fonts
    fontconfig lists for ``:lang=zh``, else the :data:`CJK_FAMILIES` matplotlib knows;
    a font counts only when its glyphs cover common Chinese words. Looked up once per
    process.

    Returns:
        The family name, or ``None`` when no installed font can draw Chinese.

    Raises:
        voc._extras.MissingExtra: matplotlib is not installed.
    """
    font_manager = require("matplotlib.font_manager", "report", REPORT_FEATURE)
    from matplotlib.ft2font import FT2Font

    probe = {ord(c) for c in _CJK_PROBE}
    for path in _fontconfig_zh_files():
        try:
            if not probe <= set(FT2Font(path).get_charmap()):
                continue  # fontconfig says zh, but matplotlib would draw boxes
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
        except Exception:  # noqa: BLE001 - an unreadable font file: try the next one
            continue
    known = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known and probe <= _charmap(family):
            return family
    return None


def _fontconfig_zh_files() -> list[str]:
    """Font files fontconfig lists for Chinese (sorted; empty without ``fc-list``)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, ":lang=zh", "file"], capture_output=True, text=True, timeout=20,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = (line.split(":", 1)[0].strip() for line in sorted(out.splitlines()))
    return [p for p in paths if p.lower().endswith(_FONT_SUFFIXES) and Path(p).is_file()]


class ChartStyle:
    """Fonts and label display for one report.

    Args:
        font: A CJK font family (Chinese names on axes) or ``None`` (codes on axes).
        names: ``{task: {code: Chinese name}}`` from the taxonomy.
    """

    def __init__(self, font: str | None, names: dict[str, dict[str, str]]) -> None:
        self.font = font
        self.names = names
        self._chars = (_charmap(font) | _charmap(_BASE_FONT)) if font else frozenset()

    @property
    def chinese(self) -> bool:
        """Whether Chinese text can be drawn (a font with Chinese glyphs is set)."""
        return self.font is not None and self.drawable(_CJK_PROBE)

    def drawable(self, value: str) -> bool:
        """Whether every character of ``value`` has a glyph in the chart fonts (ASCII always has)."""
        return value.isascii() or all(c.isspace() or ord(c) in self._chars for c in value)

    def label(self, task: str, code: str) -> str:
        """Axis text for a label code: its Chinese name when it can be drawn, else the code."""
        if self.chinese:
            name = self.names.get(task, {}).get(code)
            text = f"{name} ({code})" if name and name != code else str(code)
            if self.drawable(text):
                return text
        return self.ascii(str(code), str(code))

    def text(self, value: str, fallback: str) -> str:
        """``value`` if all its glyphs can be drawn, else ``fallback`` (ASCII)."""
        return value if self.chinese and self.drawable(value) else self.ascii(value, fallback)

    @staticmethod
    def ascii(value: str, fallback: str) -> str:
        """``value`` when it is ASCII, else ``fallback`` (itself made ASCII)."""
        if value.isascii():
            return value
        return fallback if fallback.isascii() else fallback.encode("ascii", "replace").decode()

    def rc(self) -> dict[str, Any]:
        """Matplotlib rc settings for this style."""
        family = [self.font, "DejaVu Sans"] if self.font else ["DejaVu Sans"]
        return {"font.family": family, "font.size": 10, "axes.unicode_minus": False,
                "axes.spines.top": False, "axes.spines.right": False}


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _figure(style: ChartStyle, width: float, height: float) -> Any:
    Figure = require("matplotlib.figure", "report", REPORT_FEATURE).Figure

    return Figure(figsize=(width, height), layout="constrained")


@_quiet
def barh_chart(items: Sequence[tuple[str, float]], title: str, style: ChartStyle, *,
               color: str = "#4c78a8", xlabel: str = "texts") -> bytes:
    """Horizontal bar chart, first item on top.

    Args:
        items: ``(axis label, value)`` pairs, already in display order.
        title: Chart title (ASCII unless the style is Chinese).
        style: Fonts and labels.
        color: Bar colour.
        xlabel: X axis label.

    Returns:
        PNG bytes.
    """
    matplotlib = require("matplotlib", "report", REPORT_FEATURE)

    with matplotlib.rc_context(style.rc()):
        height = max(1.8, 0.38 * len(items) + 1.0)
        fig = _figure(style, 6.4, height)
        ax = fig.add_subplot()
        labels = [lab for lab, _ in items][::-1]
        values = [float(v) for _, v in items][::-1]
        bars = ax.barh(range(len(values)), values, color=color)
        ax.set_yticks(range(len(values)), labels)
        ax.bar_label(bars, labels=[f"{v:g}" for v in values], padding=3, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left", fontsize=12)
        ax.margins(x=0.12)
        return _png(fig)


@_quiet
def sentiment_time_chart(counts: pd.DataFrame, mean_score: pd.Series, title: str, style: ChartStyle) -> bytes:
    """Stacked bars of sentiment counts per period with the mean polarity as a line.

    Args:
        counts: Index = period start (datetime), columns = sentiment codes, values = counts.
        mean_score: Mean ``sentiment_score`` per period (same index).
        title: Chart title.
        style: Fonts and labels.

    Returns:
        PNG bytes.
    """
    matplotlib = require("matplotlib", "report", REPORT_FEATURE)

    with matplotlib.rc_context(style.rc()):
        fig = _figure(style, 9.5, 3.8)
        ax = fig.add_subplot()
        x = list(range(len(counts)))
        bottom = [0.0] * len(counts)
        for code in ("negative", "neutral", "positive"):
            if code not in counts.columns:
                continue
            vals = counts[code].astype(float).tolist()
            ax.bar(x, vals, bottom=bottom, color=SENTIMENT_COLORS[code], label=style.label("sentiment", code),
                   width=0.8)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        step = max(1, len(x) // 12)
        ax.set_xticks(x[::step], [d.strftime("%Y-%m-%d") for d in counts.index[::step]], rotation=30,
                      ha="right")
        ax.set_ylabel("texts")
        ax2 = ax.twinx()
        ax2.plot(x, mean_score.reindex(counts.index).astype(float).tolist(), color="#1f1f1f", marker="o",
                 linewidth=1.5, markersize=3, label="mean polarity")
        ax2.axhline(0, color="#1f1f1f", linewidth=0.5, linestyle=":")
        ax2.set_ylim(-1.05, 1.05)
        ax2.set_ylabel("mean polarity (P(pos) - P(neg))")
        ax2.spines["right"].set_visible(True)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        fig.legend(h1 + h2, l1 + l2, loc="outside lower center", fontsize=9, frameon=False, ncols=4)
        ax.set_ylim(0, max(bottom or [1]) * 1.1 + 0.5)
        ax.set_title(title, loc="left", fontsize=12)
        return _png(fig)


@_quiet
def issue_chart(labels: Sequence[str], sizes: Sequence[float], churn: Sequence[float] | None, title: str,
                style: ChartStyle) -> bytes:
    """Issue sizes as bars, with the churn rate of affected customers as a second panel.

    Args:
        labels: Axis labels, largest issue first.
        sizes: Texts per issue.
        churn: Churn rate (0-1) of affected customers per issue, or ``None`` to omit the panel.
        title: Chart title.
        style: Fonts and labels.

    Returns:
        PNG bytes.
    """
    matplotlib = require("matplotlib", "report", REPORT_FEATURE)

    with matplotlib.rc_context(style.rc()):
        height = max(1.8, 0.4 * len(labels) + 1.0)
        fig = _figure(style, 9.5 if churn is not None else 6.4, height)
        axes = fig.subplots(1, 2 if churn is not None else 1, sharey=True, squeeze=False)[0]
        y = list(range(len(labels)))[::-1]
        bars = axes[0].barh(y, list(sizes), color="#f58518")
        axes[0].set_yticks(y, list(labels))
        axes[0].bar_label(bars, labels=[f"{v:g}" for v in sizes], padding=3, fontsize=9)
        axes[0].set_xlabel("negative texts")
        axes[0].margins(x=0.15)
        if churn is not None:
            pct = [100.0 * float(c) for c in churn]
            bars2 = axes[1].barh(y, pct, color="#b279a2")
            axes[1].bar_label(bars2, labels=[f"{v:.0f}%" for v in pct], padding=3, fontsize=9)
            axes[1].set_xlabel("churn rate of affected customers (%)")
            axes[1].set_xlim(0, max(pct + [1.0]) * 1.2)
        axes[0].set_title(title, loc="left", fontsize=12)
        return _png(fig)


@_quiet
def forecast_chart(table: pd.DataFrame, style: ChartStyle, *, top: int = 10) -> bytes:
    """Expected churn per open issue (:func:`voc.churn.plot_issue_forecast`) drawn off-screen.

    Args:
        table: Output of :func:`voc.churn.issue_forecast` (largest value at risk first).
        style: Fonts and labels (issue labels on the axis only with a CJK font, else ``issue <id>``).
        top: Issues shown.

    Returns:
        PNG bytes.
    """
    matplotlib = require("matplotlib", "report", REPORT_FEATURE)

    from voc.churn import plot_issue_forecast

    with matplotlib.rc_context(style.rc()):
        n = min(top, len(table))
        fig = _figure(style, 9.5, max(2.2, 0.45 * n + 1.6))
        ax = fig.add_subplot()
        plot_issue_forecast(table, ax=ax, top=top, chinese_labels=style.chinese)
        title = ax.get_title()
        ax.set_title("")
        ax.set_title(title, loc="left", fontsize=12)
        return _png(fig)


# --------------------------------------------------------------------------- plots on a matplotlib Axes
def _issue_bars(
    table: pd.DataFrame, ax: Any, top: int, chinese_labels: bool | None, width: float
) -> tuple[pd.DataFrame, Any, list[str], str | None]:
    """Common set-up of a horizontal bar chart with one bar per issue.

    Args:
        table: Per-issue table with ``issue_id`` (and ``label``), best first.
        ax: A matplotlib ``Axes``, or ``None`` for a new figure.
        top: Rows shown (the first ``top`` of ``table``).
        chinese_labels: Label bars with the issue labels; ``None``: only when
            a CJK font is installed (else ``issue <id>``, which every font can draw).
        width: Width in inches of a new figure.

    Returns:
        ``(rows, ax, names, font)``: the rows shown, bottom bar first; the
        ``Axes``; the bar labels; the CJK font of :func:`cjk_font` (or ``None``).
    """
    import matplotlib.pyplot as plt

    font = cjk_font()
    if chinese_labels is None:
        chinese_labels = font is not None
    t = table.head(top).iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(width, 0.45 * len(t) + 1.5))
    labels = t["label"] if "label" in t.columns and chinese_labels else [None] * len(t)
    names = [
        f"{i}: {lab}" if isinstance(lab, str) else f"issue {i}"
        for i, lab in zip(t["issue_id"], labels, strict=True)
    ]
    return t, ax, names, font


def plot_churn_by_issue(
    table: pd.DataFrame, ax: Any = None, top: int = 15, chinese_labels: bool | None = None
) -> Any:
    """Bar chart of customers lost per issue (excess churn) with its confidence interval.

    Significant issues (interval excluding 0) are red, the others grey.

    Args:
        table: Output of :func:`voc.issues.churn_by_issue`.
        ax: A matplotlib ``Axes`` (default: a new figure).
        top: Issues shown (largest excess churn first).
        chinese_labels: Label bars with the issue labels. Default: only when a
            CJK font (Noto Sans CJK, WenQuanYi, SimHei ...) is installed; else
            ``issue <id>``, which every font can draw.

    Returns:
        The ``Axes``.
    """
    t, ax, names, font = _issue_bars(table, ax, top, chinese_labels, width=8)
    err = np.vstack(
        [
            (t["excess_churned"] - t["excess_low"]).clip(lower=0),
            (t["excess_high"] - t["excess_churned"]).clip(lower=0),
        ]
    )
    colors = ["#c0392b" if s else "#95a5a6" for s in t["significant"]]
    ax.barh(range(len(t)), t["excess_churned"], xerr=err, color=colors, capsize=3)
    ax.set_yticks(range(len(t)))
    ax.set_yticklabels(names, fontfamily=font)
    ax.axvline(0, color="black", linewidth=0.8)
    conf = int(round(100 * table.attrs.get("confidence", 0.95)))
    ax.set_xlabel(f"customers lost because of the issue (excess churn, {conf}% CI)")
    ax.set_title("Churn by issue")
    return ax


def plot_issue_forecast(
    table: pd.DataFrame, ax: Any = None, top: int = 15, chinese_labels: bool | None = None
) -> Any:
    """Bar chart of :func:`voc.churn.issue_forecast`: expected churn per issue, silent vs vocal, with value at risk.

    Each bar is the expected further churn if the issue stays unfixed, split
    into silent (dark) and other customers, with the interval as an error bar
    and the value at risk and high-value customers at risk written beside it.

    Args:
        table: Output of :func:`voc.churn.issue_forecast`.
        ax: A matplotlib ``Axes`` (default: a new figure).
        top: Issues shown (the table's order: largest value at risk first).
        chinese_labels: Use the issue labels (default: only when a CJK font is
            installed; else ``issue <id>``).

    Returns:
        The ``Axes``.
    """
    t, ax, names, font = _issue_bars(table, ax, top, chinese_labels, width=9)
    y = np.arange(len(t))
    silent = t["expected_churn_silent"].to_numpy(dtype=float)
    other = (t["expected_churn"] - t["expected_churn_silent"]).clip(lower=0).to_numpy(dtype=float)
    ax.barh(y, silent, color="#7f1d1d", label="silent customers")
    ax.barh(y, other, left=silent, color="#e57373", label="vocal / other customers")
    err = np.vstack(
        [
            (t["expected_churn"] - t["expected_churn_low"]).clip(lower=0),
            (t["expected_churn_high"] - t["expected_churn"]).clip(lower=0),
        ]
    )
    ax.errorbar(t["expected_churn"], y, xerr=err, fmt="none", ecolor="black", capsize=3, linewidth=0.8)
    xmax = float(t["expected_churn_high"].max()) if len(t) else 1.0
    for yi, (_, r) in zip(y, t.iterrows(), strict=True):
        ax.text(
            r["expected_churn_high"] + 0.02 * xmax,
            yi,
            f"value at risk {r['value_at_risk']:,.0f} · {int(r['high_value_at_risk'])} high-value",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontfamily=font)
    ax.set_xlim(0, xmax * 1.6 + 1e-9)
    h = table.attrs.get("horizon_days")
    ax.set_xlabel(f"expected churn if unfixed{f' (next {h:g} days)' if h else ''}")
    ax.set_title("Churn forecast per open issue")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_emotion_curve(
    curve: pd.DataFrame, ax: Any = None, *, chinese_labels: bool | None = None, title: str | None = None
) -> Any:
    """Plot the emotion curve: mean sentiment per stage with its 95 % interval and dominant emotion.

    matplotlib is imported here, not at module import.

    Args:
        curve: Output of :func:`voc.journey.emotion_curve` (with ``by``: one line per group).
        ax: A matplotlib ``Axes`` (default: a new figure).
        chinese_labels: Chinese stage names; default only when a CJK font is installed.
        title: Plot title.

    Returns:
        The ``Axes``.
    """
    import matplotlib.pyplot as plt

    from voc.journey import STAGE_ZH, STAGES

    font = cjk_font()
    if chinese_labels is None:
        chinese_labels = font is not None
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    if isinstance(curve.index, pd.MultiIndex):
        groups = [(str(k), curve.xs(k, level=0)) for k in curve.index.get_level_values(0).unique()]
    else:
        groups = [(None, curve)]
    stages = [s for s in STAGES if any(s in g.index for _, g in groups)]
    x = {s: i for i, s in enumerate(stages)}
    for name, g in groups:
        xs = [x[s] for s in g.index]
        y = g["sentiment_mean"].to_numpy()
        err = np.vstack([y - g["ci_low"].to_numpy(), g["ci_high"].to_numpy() - y])
        ax.errorbar(xs, y, yerr=err, marker="o", capsize=3, label=name)
        if len(groups) == 1:
            for xi, yi, emo, n in zip(xs, y, g["dominant_emotion"], g["n_texts"], strict=True):
                ax.annotate(
                    f"{emo}\nn={n}",
                    (xi, yi),
                    textcoords="offset points",
                    xytext=(0, 8),
                    ha="center",
                    fontsize=8,
                )
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(range(len(stages)))
    names = [STAGE_ZH[s] if chinese_labels else s for s in stages]
    ax.set_xticklabels(names, rotation=20, fontfamily=font if chinese_labels else None)
    ax.set_ylabel("mean sentiment (-1 .. 1)")
    ax.set_title(title or "Emotion curve along the journey")
    if len(groups) > 1:
        ax.legend()
    return ax


def headless_pyplot() -> Any:
    """Switch matplotlib to the off-screen Agg backend and return ``matplotlib.pyplot``.

    Raises:
        voc._extras.MissingExtra: matplotlib is not installed (one line with the install hint).
    """
    matplotlib = require("matplotlib", "report", "charts")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(ax: Any, path: str | Path, dpi: int = 120) -> None:
    """Save the figure of ``ax`` to ``path`` (PNG, SVG, PDF by extension) and close it.

    Parent folders are created. The figure is closed even when saving fails.

    Raises:
        OSError, ValueError: The file cannot be written or the format is unknown.
    """
    import matplotlib.pyplot as plt

    try:
        ax.figure.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(path, dpi=dpi)
    finally:
        plt.close(ax.figure)
