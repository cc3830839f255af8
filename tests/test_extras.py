"""Optional dependencies: one-line errors that name the extra, and the extras in setup.cfg (issue #15)."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from voc._extras import DIST, MissingExtra, install_hint, require
from voc.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg


def _extras() -> dict[str, list[str]]:
    section = _setup_cfg()["options.extras_require"]
    return {k: [r.strip() for r in v.strip().splitlines() if r.strip()] for k, v in section.items()}


def test_require_returns_the_module() -> None:
    import json

    assert require("json", "report", "anything") is json


def test_require_names_module_and_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(MissingExtra) as info:
        require("openpyxl", "excel", "writing .xlsx")
    e = info.value
    assert isinstance(e, ImportError)  # existing `except ImportError` handlers still catch it
    assert str(e) == f"writing .xlsx needs openpyxl: {install_hint('excel')}"
    assert str(e).startswith("writing .xlsx needs openpyxl: pip install 'voc-zh[excel]'")
    assert (e.module, e.extra, e.feature) == ("openpyxl", "excel", "writing .xlsx")


def test_require_dotted_module_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.delitem(sys.modules, "pyarrow.parquet", raising=False)
    with pytest.raises(MissingExtra, match=r"^writing \.parquet needs pyarrow: pip install 'voc-zh\[parquet\]'( \(in this checkout: .*\))?$"):
        require("pyarrow.parquet", "parquet", "writing .parquet")


def test_install_hint_uses_the_distribution_name() -> None:
    assert _setup_cfg()["metadata"]["name"] == DIST
    assert install_hint("report").startswith(f"pip install '{DIST}[report]'")
    # run from a source checkout (as here), the hint also gives the editable install
    assert install_hint("report").endswith("(in this checkout: pip install -c constraints.txt -e '.[report]')")


def test_setup_cfg_extras() -> None:
    extras = _extras()
    assert any(r.startswith("matplotlib") for r in extras["report"])
    assert any(r.startswith("openpyxl") for r in extras["excel"])
    assert any(r.startswith("pyarrow") for r in extras["parquet"])
    everything = {r for name, reqs in extras.items() if name not in ("all", "dev", "spark") for r in reqs}
    assert everything <= set(extras["all"])


def test_readme_names_the_extras() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for extra in ("report", "excel", "parquet", "all"):
        assert f"| `{extra}` |" in readme, extra


def test_cli_report_without_matplotlib_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.csv"
    src.write_text("text\n客服电话打不通\n很好用\n", encoding="utf-8")
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    res = CliRunner().invoke(main, ["report", str(src), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == f"error: the HTML report (voc report) needs matplotlib: {install_hint('report')}"
    assert "Traceback" not in res.output and not isinstance(res.exception, ImportError)
    assert not (tmp_path / "r.html").exists()


def test_cli_transformers_backend_without_torch_is_one_line(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "labels.csv"
    src.write_text("text,sentiment\n很好,positive\n太差,negative\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "torch", None)
    res = CliRunner().invoke(main, ["train", "sentiment", str(src), "-o", str(tmp_path / "m"), "--backend",
                                    "transformers", "--model-name-or-path", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == f"error: the transformers backend needs torch: {install_hint('transformers')}"


def test_cli_main_turns_any_missing_extra_into_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(output: str) -> None:
        raise MissingExtra("openpyxl", "excel", "writing .xlsx")

    monkeypatch.setattr(main.commands["demo"], "callback", boom)
    res = CliRunner().invoke(main, ["demo"])
    assert res.exit_code == 2
    assert res.stderr == f"error: writing .xlsx needs openpyxl: {install_hint('excel')}\n"
