"""Output files never lose or corrupt data (issue #15, items 5-8).

An input is never overwritten, writes are atomic, spreadsheet formulas are
neutralised, a lone CR keeps the row count, control characters survive .xlsx, and a
bad output path fails in one line before any analysis.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from voc._write import atomic_write, check_output_path, escape_formula, refuse_input_overwrite
from voc.cli import main, write_table

TEXTS = ["物流太慢了", "=HYPERLINK(\"http://evil\",\"点我\")", "+86 客服", "-差评", "@客服 在吗", "好评\r不过慢",
         "控制\x01字符\x1f", "正常"]


def _src(tmp_path):
    src = tmp_path / "in.jsonl"  # JSON keeps the lone CR of the input intact
    pd.DataFrame({"text": TEXTS}).to_json(src, orient="records", lines=True, force_ascii=False)
    return src


def test_analyze_refuses_to_overwrite_its_input(tmp_path):
    src = _src(tmp_path)
    before = src.read_bytes()
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(src)])
    assert res.exit_code == 2 and "input file" in res.output and "Traceback" not in res.output
    assert src.read_bytes() == before
    alias = tmp_path / "sub" / ".." / src.name  # the same file under another name
    (tmp_path / "sub").mkdir()
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(alias)])
    assert res.exit_code == 2 and src.read_bytes() == before


def test_report_refuses_to_overwrite_its_input(tmp_path):
    src = _src(tmp_path)
    before = src.read_bytes()
    res = CliRunner().invoke(main, ["report", str(src), "-o", str(src)])
    assert res.exit_code == 2 and "input file" in res.output
    assert src.read_bytes() == before
    from voc.report import build_report

    with pytest.raises(ValueError, match="input file"):
        build_report(src, src)


def test_customer_commands_refuse_to_overwrite_an_input(tmp_path):
    src = tmp_path / "fb.csv"
    pd.DataFrame({"customer_id": ["a"], "channel": ["app"], "timestamp": ["2026-01-01"], "text": ["慢"]}).to_csv(
        src, index=False)
    before = src.read_bytes()
    res = CliRunner().invoke(main, ["customers", "issues", "--feedback", str(src), "-o", str(src)])
    assert res.exit_code == 2 and "input file" in res.output
    assert src.read_bytes() == before


def test_atomic_write_keeps_the_old_file_when_the_writer_dies(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")

    def dies(path):
        path.write_text("half a fi", encoding="utf-8")
        raise KeyboardInterrupt  # killed mid-write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, dies)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left
    fresh = tmp_path / "new.csv"
    with pytest.raises(KeyboardInterrupt):
        atomic_write(fresh, dies)
    assert not fresh.exists()


def test_write_table_is_atomic_for_every_format(tmp_path, monkeypatch):
    df = pd.DataFrame({"text": ["a", "b"]})
    import pyarrow.parquet as pq

    for ext, owner, method in (("csv", pd.DataFrame, "to_csv"), ("jsonl", pd.DataFrame, "to_json"),
                               ("xlsx", pd.DataFrame, "to_excel"), ("parquet", pq, "write_table")):
        target = tmp_path / f"t.{ext}"

        def boom(first, path, *a, **k):
            Path(path).write_bytes(b"PAR")
            raise OSError("disk full")

        with monkeypatch.context() as m:
            m.setattr(owner, method, boom)
            with pytest.raises(OSError):
                write_table(df, str(target))
        assert not target.exists(), ext
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_formulas_are_neutralised_unless_asked(tmp_path, ext):
    src = _src(tmp_path)
    out = tmp_path / f"out.{ext}"
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    read = (lambda p: pd.read_csv(p, keep_default_na=False)) if ext == "csv" else pd.read_excel
    back = read(out)
    assert len(back) == len(TEXTS)  # the lone CR did not split a row
    starts = [str(t)[0] for t in back["text"]]
    assert not any(c in "=+-@" for c in starts)
    assert back["text"][1].startswith("'=HYPERLINK")
    if ext == "xlsx":
        import openpyxl

        ws = openpyxl.load_workbook(out).active
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # no live formula
        assert "\ufffd" in back["text"][6] and back["text"][6].startswith("控制")
    res = CliRunner().invoke(main, ["--keep-formulas", "analyze", str(src), "-o", str(out)])
    assert res.exit_code == 0
    if ext == "csv":
        assert read(out)["text"][1].startswith("=HYPERLINK")
    else:  # written as is: Excel would run it (the user asked for it)
        import openpyxl

        assert str(openpyxl.load_workbook(out).active["A3"].value).startswith("=HYPERLINK")


def test_lone_cr_and_bom_round_trip(tmp_path):
    df = pd.DataFrame({"text": ["第一行\r第二行", "a\r\nb", "c\nd", "普通"], "n": [1, 2, 3, 4]})
    out = tmp_path / "o.csv"
    write_table(df, str(out))
    back = pd.read_csv(out)
    assert len(back) == 4 and back["n"].tolist() == [1, 2, 3, 4]
    write_table(df, str(out), bom=True)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(out, encoding="utf-8-sig")["n"].tolist() == [1, 2, 3, 4]


def test_bad_output_path_fails_before_the_analysis(tmp_path, monkeypatch):
    src = _src(tmp_path)
    (tmp_path / "afile").write_text("x")
    import voc

    def never(*a, **k):
        raise AssertionError("analysis ran before the output path was checked")

    monkeypatch.setattr(voc, "analyze_frame", never)
    for bad in (tmp_path / "afile" / "out.csv", tmp_path / "out.doc", tmp_path):
        res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(bad)])
        assert res.exit_code == 2, (bad, res.output)
        assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    monkeypatch.undo()
    deep = tmp_path / "new" / "folder" / "out.csv"  # missing folders are created
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(deep)])
    assert res.exit_code == 0 and len(pd.read_csv(deep)) == len(TEXTS)


def test_helpers():
    assert escape_formula("=1+1") == "'=1+1" and escape_formula("\t=x") == "'\t=x" and escape_formula(5) == 5
    with pytest.raises(ValueError, match="input file"):
        refuse_input_overwrite("a.csv", ["a.csv"])
    refuse_input_overwrite("b.csv", ["a.csv", None])
    with pytest.raises(ValueError, match="folder"):
        check_output_path(".")


@pytest.mark.parametrize("ext,module,extra", [("xlsx", "openpyxl", "excel"), ("parquet", "pyarrow", "parquet")])
def test_missing_writer_is_one_line_before_the_analysis(tmp_path, monkeypatch, ext, module, extra):
    import sys

    import voc

    src = _src(tmp_path)
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setattr(voc, "analyze_frame", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(tmp_path / f"o.{ext}")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and f"[{extra}]" in res.output and module in res.output
    assert not (tmp_path / f"o.{ext}").exists()
