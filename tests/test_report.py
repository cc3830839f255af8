"""The HTML report: sections, embedded charts, escaping, PNG export, CLI, headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import warnings
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("matplotlib")

from voc import plotting as report_charts  # noqa: E402
from voc.cli import main  # noqa: E402
from voc.report import SECTION_IDS, build_report  # noqa: E402

SAMPLE = Path(str(files("voc") / "data" / "sample_feedback.csv"))
EVIL = "<script>alert('x')</script>算了不投诉了，客服电话13812345678打不通"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def analyzed(nlp):
    """The sample feedback plus a hostile text, analyzed once."""
    import voc

    df = pd.read_csv(SAMPLE)
    extra = pd.DataFrame([{"customer_id": "c999", "channel": "weibo", "timestamp": "2026-10-20 10:00",
                           "text": EVIL}])
    return voc.analyze_frame(pd.concat([df, extra], ignore_index=True), nlp=nlp)


@pytest.fixture(scope="module")
def report(analyzed, nlp, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    path = build_report(analyzed, out, nlp=nlp)
    return path, path.read_text(encoding="utf-8")


def _img_srcs(page: str) -> list[str]:
    return re.findall(r'<img src="(data:image/png;base64,[^"]+)"', page)


def test_sections_and_embedded_charts(report):
    path, page = report
    for sec in SECTION_IDS:
        assert f'<section id="{sec}"' in page, sec
    for title in ("Sentiment over time", "Emotion mix", "Top intents", "Top aspects", "Complaint stages",
                  "Why customers do not complain", "Personas", "Issues &amp; churn"):
        assert title in page
    srcs = _img_srcs(page)
    assert len(srcs) == page.count('<figure class="chart"') >= 8
    for src in srcs:
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    # self-contained: no external resources
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page and "@import" not in page


def test_png_files_written(report):
    path, page = report
    pngs = sorted((path.parent / "report_charts").glob("*.png"))
    assert len(pngs) == len(_img_srcs(page))
    assert all(p.read_bytes().startswith(PNG_MAGIC) and p.stat().st_size > 2000 for p in pngs)
    names = {p.stem.split("_", 1)[1] for p in pngs}
    assert {"sentiment_over_time", "emotions", "intents", "aspects", "non_complaint_reasons",
            "complaint_stages"} <= names


def test_text_is_escaped_and_pii_masked(report):
    _, page = report
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "13812345678" not in page and "&lt;PHONE&gt;" in page
    assert page.count("<script>") == 1  # only the report's own image check


def test_reasons_have_examples(report, analyzed):
    _, page = report
    sec = page.split('<section id="non-complaint-reasons"', 1)[1].split("</section>", 1)[0]
    reasons = analyzed["non_complaint_reasons"].explode().dropna().unique()
    assert len(reasons) >= 3
    for code in reasons:
        assert f"<code>{code}</code>" in sec
    blocks = sec.split('<div class="reason">')[1:]
    assert all(1 <= b.count("<li>") <= 3 for b in blocks)
    assert "<mark>" in sec


def test_personas_and_issues_filled(report):
    _, page = report
    personas = page.split('<section id="personas"', 1)[1].split("</section>", 1)[0]
    issues = page.split('<section id="issues-churn"', 1)[1].split("</section>", 1)[0]
    assert "chart-personas" in personas and "Type tags" in personas
    assert "chart-issues_churn" in issues and "keywords" in issues


def test_without_customer_or_time_columns_and_without_cjk_font(analyzed, nlp, tmp_path, monkeypatch):
    monkeypatch.setattr(report_charts, "cjk_font", lambda: None)
    monkeypatch.setattr("voc.report.build.cjk_font", lambda: None)
    df = analyzed.drop(columns=["customer_id", "timestamp"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Glyph ... missing" (or any other) warning
        path = build_report(df, tmp_path / "r.html", nlp=nlp, png_dir=tmp_path / "png")
    page = path.read_text(encoding="utf-8")
    assert "No font with Chinese glyphs" in page
    assert "no &#x27;timestamp&#x27; column" in page
    assert "Personas need a customer_id column" in page
    assert len(list((tmp_path / "png").glob("*.png"))) == len(_img_srcs(page)) >= 6
    assert '<section id="issues-churn"' in page


def test_already_analyzed_csv_is_not_reanalyzed(analyzed, tmp_path, monkeypatch):
    from voc.cli import write_table

    src = tmp_path / "analyzed.csv"
    write_table(analyzed, str(src))  # lists and dicts become JSON strings

    def boom(*a, **k):
        raise AssertionError("analyze_frame must not run")

    monkeypatch.setattr("voc.frame.analyze_frame", boom)
    page = build_report(src, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<code>let_it_go</code>" in page and "&lt;PHONE&gt;" in page


def test_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError):
        build_report(tmp_path / "missing.csv", tmp_path / "r.html")
    with pytest.raises(ValueError, match="unsupported"):
        build_report(tmp_path / "x.txt", tmp_path / "r.html")
    with pytest.raises(KeyError, match="content"):
        build_report(pd.DataFrame({"content": ["x"]}), tmp_path / "r.html")
    with pytest.raises(ValueError, match="no rows"):
        build_report(pd.DataFrame({"text": []}), tmp_path / "r.html")
    with pytest.raises(TypeError):
        build_report(42, tmp_path / "r.html")  # type: ignore[arg-type]


def test_cli_report(tmp_path):
    out = tmp_path / "cli" / "report.html"
    runner = CliRunner()
    res = runner.invoke(main, ["report", str(SAMPLE), "-o", str(out), "--png-dir", str(tmp_path / "pngs")])
    assert res.exit_code == 0, res.output
    assert out.exists() and len(list((tmp_path / "pngs").glob("*.png"))) >= 8
    res = runner.invoke(main, ["report", str(tmp_path / "nope.csv"), "-o", str(out)])
    assert res.exit_code != 0 and "no such file" in res.output
    res = runner.invoke(main, ["report", str(SAMPLE), "-o", str(out), "--text-col", "body"])
    assert res.exit_code != 0 and "no column 'body'" in res.output and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["report", str(SAMPLE), "-o", str(out), "--time-col", "when"])
    assert res.exit_code != 0 and "no column 'when'" in res.output


def _section(page: str, sec_id: str) -> str:
    return page.split(f'<section id="{sec_id}"', 1)[1].split("</section>", 1)[0]


@pytest.fixture(scope="module")
def history():
    """A small synthetic history: feedback (with gold analysis columns), contacts, events with churn."""
    from voc.synthetic import generate_history

    return generate_history(n_customers=400, seed=0)


@pytest.fixture(scope="module")
def churn_report(history, nlp, tmp_path_factory):
    out = tmp_path_factory.mktemp("churn") / "report.html"
    path = build_report(history["feedback"], out, nlp=nlp, contacts=history["contacts"], events=history["events"])
    return path, path.read_text(encoding="utf-8")


def test_churn_section_with_a_full_history(churn_report):
    path, page = churn_report
    sec = _section(page, "churn-winback")
    assert "Churn risk and win-back" in sec
    assert "chart-churn_forecast" in sec
    src = re.search(r'<img src="data:image/png;base64,([^"]+)"', sec)
    assert src and base64.b64decode(src.group(1)).startswith(PNG_MAGIC)
    for text in ("ROC-AUC", "PR-AUC", "Brier", "Customers at risk now", "top contributing features",
                 "Churn forecast per open issue", "value at risk", "Win-back list once issue", "致歉并邀请回来"):
        assert text in sec, text
    assert "No events table" not in sec
    assert len(re.findall(r"\d\.\d{3}</div><div class=\"k\">ROC-AUC", sec)) == 1
    pngs = {p.stem.split("_", 1)[1] for p in (path.parent / "report_charts").glob("*.png")}
    assert "churn_forecast" in pngs
    assert len(list((path.parent / "report_charts").glob("*.png"))) == len(_img_srcs(page))
    # the events also give the profiles their churn: churn per issue appears in the issues section
    assert "churn rate" in _section(page, "issues-churn")
    assert "profiled from the feedback and the contacts and events table(s)" in _section(page, "personas")


def test_churn_section_note_for_plain_feedback(report):
    _, page = report  # the sample CSV: no events table, so no churn
    sec = _section(page, "churn-winback")
    assert "No events table, so no churn to learn from" in sec
    assert "<figure" not in sec and sec.count('<p class="note">') == 1


def test_churn_section_never_crashes_the_report(history, nlp, tmp_path, monkeypatch):
    import voc.churn

    small = {k: v[v["customer_id"].isin(history["customers"]["customer_id"].head(150))] if "customer_id" in v
             else v for k, v in history.items()}
    fb, contacts, events = small["feedback"], small["contacts"], small["events"]
    cases = {
        "no_churn": (events[events["type"] != "churn"], "no type=churn row"),
        "bad_columns": (events.drop(columns=["type"]), "lacks column(s) type"),
    }
    for name, (ev, expected) in cases.items():
        page = build_report(fb, tmp_path / f"{name}.html", nlp=nlp, contacts=contacts,
                            events=ev).read_text(encoding="utf-8")
        assert expected in _section(page, "churn-winback"), name
        assert "chart-personas" in _section(page, "personas"), name

    def boom(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(voc.churn, "fit_time_split", boom)
    page = build_report(fb, tmp_path / "boom.html", nlp=nlp, contacts=contacts,
                        events=events).read_text(encoding="utf-8")
    assert "could not be trained: RuntimeError: model exploded" in _section(page, "churn-winback")
    with pytest.raises(FileNotFoundError):
        build_report(fb, tmp_path / "r.html", nlp=nlp, events=tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="events="):
        build_report(fb, tmp_path / "r.html", nlp=nlp, events=42)  # type: ignore[arg-type]


def test_cli_report_with_contacts_and_events(history, tmp_path):
    from voc.cli import write_table

    for name in ("feedback", "contacts", "events"):
        write_table(history[name], str(tmp_path / f"{name}.csv"))
    out = tmp_path / "out" / "report.html"
    runner = CliRunner()
    res = runner.invoke(main, ["report", str(tmp_path / "feedback.csv"), "-o", str(out),
                               "--contacts", str(tmp_path / "contacts.csv"), "--events", str(tmp_path / "events.csv"),
                               "--png-dir", str(tmp_path / "pngs")])
    assert res.exit_code == 0, res.output
    assert "chart-churn_forecast" in _section(out.read_text(encoding="utf-8"), "churn-winback")
    assert any(p.name.endswith("_churn_forecast.png") for p in (tmp_path / "pngs").glob("*.png"))
    res = runner.invoke(main, ["report", str(tmp_path / "feedback.csv"), "-o", str(out),
                               "--events", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2 and "no such file" in res.output


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={tmp_path / 'chromium-profile'}",
             "--enable-logging=stderr", "--v=0"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.browser
def test_renders_in_headless_chromium(report, tmp_path):
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    path, _ = report
    url = path.resolve().as_uri()
    shot = tmp_path / "report.png"
    proc = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert shot.exists(), proc.stderr[-2000:]
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[:2] == (2400, 1280)
    colors = {tuple(px) for px in (img[::7, ::7, :3] * 255).astype(int).reshape(-1, 3).tolist()}
    assert len(colors) > 200, f"screenshot looks blank ({len(colors)} colours)"
    console = [ln for ln in proc.stderr.splitlines()
               if "Uncaught" in ln or ("CONSOLE" in ln and path.name in ln)]
    assert not console, console
    dom = _chromium(tmp_path, "--dump-dom", "--virtual-time-budget=5000", url)
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body, dom.stderr[-2000:]
    n = len(_img_srcs(path.read_text(encoding="utf-8")))
    assert 'data-charts="ok"' in body.group(0), body.group(0)
    assert f'data-charts-count="{n}"' in body.group(0)
    assert not [ln for ln in dom.stderr.splitlines() if "Uncaught" in ln or ("CONSOLE" in ln and path.name in ln)]


def test_cli_report_names_the_file_and_prints_nothing_on_stderr(tmp_path):
    """`voc report FILE`: the page's source is the file name; no matplotlib font noise on stderr."""
    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", str(SAMPLE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert "Source: sample_feedback.csv" in page and "Source: DataFrame" not in page
    assert res.stderr == ""
    assert "Source: in.parquet" in build_report(pd.read_csv(SAMPLE), tmp_path / "s.html",
                                                 source=tmp_path / "in.parquet").read_text(encoding="utf-8")


def test_css_lists_cjk_fonts(report):
    _, page = report
    body_font = re.search(r"body\{[^}]*font:([^}]*)\}", page).group(1)
    for family in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei"):
        assert f'"{family}"' in body_font
    assert body_font.rstrip().endswith("sans-serif")


def test_font_without_chinese_glyphs_draws_codes_not_boxes(analyzed, nlp, tmp_path, monkeypatch):
    """A 'Chinese' font that lacks the glyphs (here DejaVu Sans) must not be used for Chinese labels."""
    names = {"emotion": {"anger": "愤怒"}}
    style = report_charts.ChartStyle("DejaVu Sans", names)
    assert not style.chinese and style.label("emotion", "anger") == "anger"
    assert style.text("快递 / 包裹", "issue 0") == "issue 0" and style.text("app", "x") == "app"
    monkeypatch.setattr("voc.report.build.cjk_font", lambda: "DejaVu Sans")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "Glyph ... missing" warning would be an error here
        page = build_report(analyzed, tmp_path / "r.html", nlp=nlp).read_text(encoding="utf-8")
    assert "No font with Chinese glyphs" in page


def test_font_warnings_silenced_around_plotting_only(caplog, capsys):
    style = report_charts.ChartStyle(None, {})
    style.font = "DejaVu Sans"  # force Chinese text into a font without its glyphs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = report_charts.barh_chart([("愤怒", 3), ("失望", 1)], "情绪", style)
    assert png.startswith(PNG_MAGIC)
    assert not [w for w in caught if "missing from" in str(w.message) or "findfont" in str(w.message)]
    assert "findfont" not in capsys.readouterr().err
    with warnings.catch_warnings(record=True) as caught:  # the filter does not outlive the chart
        warnings.simplefilter("always")
        warnings.warn("Glyph 24868 missing from font(s) DejaVu Sans.", UserWarning, stacklevel=1)
    assert len(caught) == 1


def test_persona_tag_of_every_customer_is_left_out():
    from voc.report.customer_sections import _fill_personas
    from voc.report.html import Section

    ids = [f"c{i}" for i in range(20)]
    profiles = pd.DataFrame({"has_problem": [True] * 20}, index=ids)
    tags = [[{"tag": "低反馈参与者"}, *([{"tag": "渠道依赖型"}] if i < 4 else [])] for i in range(20)]
    table = pd.DataFrame({"primary_archetype": ["凡人"] * 20, "archetype_en": ["everyman"] * 20, "tags": tags,
                          "archetype_score": [1.0] * 20}, index=ids)
    sec = Section("personas", "Personas")
    _fill_personas(sec, profiles, table, report_charts.ChartStyle(None, {}))
    assert "渠道依赖型" in sec.body and "低反馈参与者" not in sec.body
    assert any("低反馈参与者 (20 of 20)" in n for n in sec.notes)
