"""All matplotlib code lives in voc.plotting, with one CJK font finder that every chart uses."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("matplotlib")

import voc  # noqa: E402
from voc import plotting  # noqa: E402

ROOT = Path(voc.__file__).parent


def _imports_matplotlib(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "matplotlib" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "matplotlib":
            return True
        if isinstance(node, ast.Call) and any(
            isinstance(a, ast.Constant) and str(a.value).split(".")[0] == "matplotlib" for a in node.args[:1]
        ):
            return True  # require("matplotlib...", ...)
    return False


def test_only_voc_plotting_imports_matplotlib():
    users = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if _imports_matplotlib(p))
    # voc.report.build checks the extra is installed before the analysis (no drawing)
    assert users == ["plotting.py", "report/build.py"]
    build = (ROOT / "report" / "build.py").read_text(encoding="utf-8")
    assert "import matplotlib" not in build and "font_manager" not in build


def test_import_voc_does_not_load_matplotlib():
    code = "import sys, voc, voc.plotting, voc.journey, voc.issues, voc.churn, voc.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def _churn_table() -> pd.DataFrame:
    return pd.DataFrame({
        "issue_id": [0, 1], "label": ["退款不到账", "快递丢件"], "excess_churned": [5.0, -1.0],
        "excess_low": [2.0, -3.0], "excess_high": [8.0, 1.0], "significant": [True, False],
    })


@pytest.mark.parametrize("font", [None, "DejaVu Sans"])
def test_every_plot_uses_the_one_font_finder(monkeypatch, font):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from voc.churn import plot_issue_forecast
    from voc.issues import plot_churn_by_issue
    from voc.journey import STAGE_ZH, emotion_curve, plot_emotion_curve
    from voc.synthetic import generate_history

    calls = []
    monkeypatch.setattr(plotting, "cjk_font", lambda: calls.append(1) or font)
    ax = plot_churn_by_issue(_churn_table())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == (["1: 快递丢件", "0: 退款不到账"] if font else ["issue 1", "issue 0"])
    if font:
        assert ax.get_yticklabels()[0].get_fontfamily() == [font]
    plt.close(ax.figure)
    fc = _churn_table().assign(
        expected_churn=[3.0, 1.0], expected_churn_silent=[1.0, 0.5], expected_churn_low=[1.0, 0.0],
        expected_churn_high=[5.0, 2.0], value_at_risk=[100.0, 10.0], high_value_at_risk=[1, 0])
    ax = plot_issue_forecast(fc)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == ("0: 退款不到账" if font else "issue 0")
    plt.close(ax.figure)
    ax = plot_emotion_curve(emotion_curve(generate_history(200, seed=0, signal_cases=False)["feedback"]))
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert any(n in STAGE_ZH.values() for n in names) == bool(font)
    plt.close(ax.figure)
    assert len(calls) == 3


def test_cjk_font_needs_chinese_glyphs_without_fontconfig(monkeypatch):
    monkeypatch.setattr(plotting, "_fontconfig_zh_files", lambda: [])
    monkeypatch.setattr(plotting, "CJK_FAMILIES", ("DejaVu Sans",))  # installed, but no Chinese glyphs
    plotting.cjk_font.cache_clear()
    try:
        assert plotting.cjk_font() is None
    finally:
        plotting.cjk_font.cache_clear()


def test_save_figure_writes_and_closes(tmp_path):
    plt = plotting.headless_pyplot()
    ax = plotting.plot_churn_by_issue(_churn_table())
    out = tmp_path / "sub" / "chart.png"
    plotting.save_figure(ax, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(ax.figure.number)
