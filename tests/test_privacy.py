"""No PII leak on any output path (issue #15, items 1-2).

Personal data is generated in the formats people really type (``tests/pii_gen.py``:
phones in every grouping and prefix, landlines, 18- and 15-digit IDs in groups,
Luhn-valid cards with spaces/dots/6+13, ASCII, full-width and internationalized
e-mails; full-width digits, NBSP and zero-width characters inside) and every output
path is checked for the secret: ``nlp``, ``pipe``, ``analyze_frame`` (str, bytes and
numeric cells), ``analyze_batch``, ``voc analyze`` in every output format, the HTML
report (texts and customer ids) and the service's JSON, errors included.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from pii_gen import GENERATORS, case, cases, leaks  # noqa: E402

import voc  # noqa: E402
from voc.privacy import mask_text, mask_value  # noqa: E402

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _strings(value):
    """Every string inside a (nested) output value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _assert_no_leak(output, kind, secret, where):
    for s in _strings(output):
        assert not leaks(s, kind, secret), f"{where}: {kind} leaked in {s!r}"


# --------------------------------------------------------------------------- the mask itself
@SETTINGS
@given(st.randoms(use_true_random=False))
def test_mask_text_leaves_no_pii(rng):
    text, kind, secret = case(rng)
    _assert_no_leak(mask_text(text), kind, secret, "mask_text")


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_normalize_leaves_no_pii(rng):
    from voc.text import normalize

    text, kind, secret = case(rng)
    n = normalize(text)
    _assert_no_leak([n.text, *[sp.original for sp in n.spans]], kind, secret, "normalize")


@pytest.mark.parametrize("gen", GENERATORS, ids=lambda g: g.__name__)
def test_every_format_is_masked_with_its_kind(gen):
    rng = random.Random(7)
    for _ in range(200):
        kind, shown, _secret = gen(rng)
        assert mask_text(f"号码：{shown} 谢谢") == f"号码：<{kind}> 谢谢", shown


def test_mask_keeps_text_and_order_numbers():
    assert mask_text("2023-12-05 14:30下单，价格12.5元，共3件") == "2023-12-05 14:30下单，价格12.5元，共3件"
    assert mask_text("订单号 1234 5678 1234 5670 还没发货") == "订单号 1234 5678 1234 5670 还没发货"
    assert mask_text("单号：6222021234567890128") == "单号：6222021234567890128"
    assert mask_text("卡号6222021234567890128") == "卡号<BANKCARD>"
    assert mask_text("尾号5678的手机") == "尾号5678的手机"


def test_order_numbers_become_order_placeholders_not_cards(nlp):
    r = nlp("订单号 6222 0212 3456 7890 128 一直没发货")
    assert "<BANKCARD>" not in r.text and "<ORDER>" in r.text


def test_mask_value_types():
    assert mask_value(13812345678) == "<PHONE>"
    assert mask_value(13812345678.0) == "<PHONE>"
    assert mask_value("１３８１２３４５６７８".encode()) == "<PHONE>"
    assert mask_value(3.5) == 3.5 and mask_value(None) is None and mask_value(True) is True
    assert mask_value(["电话13812345678"]) == ["电话<PHONE>"]
    nan = mask_value(float("nan"))
    assert nan != nan


# --------------------------------------------------------------------------- analyzer paths
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False))
def test_nlp_and_pipe_leave_no_pii(nlp, rng):
    text, kind, secret = case(rng)
    r = nlp(text)
    _assert_no_leak([r.text, r.to_json(), r.to_dict(), r.evidence], kind, secret, "nlp")
    (p,) = list(nlp.pipe([text]))
    _assert_no_leak([p.text, p.to_json()], kind, secret, "pipe")


BATCH = cases(300, seed=15)


def _frame_with_odd_cells() -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Text cells, bytes cells and numeric cells holding PII."""
    rows = [t for t, _, _ in BATCH]
    secrets = [(k, s) for _, k, s in BATCH]
    rows += ["电话13812345678".encode(), "１３９８７６５４３２１".encode("gb18030"), 13712345678, 13612345678.0]
    secrets += [("PHONE", "13812345678"), ("PHONE", "19876543210"), ("PHONE", "13712345678"), ("PHONE", "13612345678")]
    return pd.DataFrame({"text": pd.Series(rows, dtype=object), "customer_id": range(len(rows))}), secrets


def test_analyze_frame_leaves_no_pii(nlp):
    df, secrets = _frame_with_odd_cells()
    out = voc.analyze_frame(df, nlp=nlp)
    assert len(out) == len(df)
    for i, (kind, secret) in enumerate(secrets):
        _assert_no_leak(out.iloc[i].tolist(), kind, secret, f"analyze_frame row {i}")


def test_analyze_batch_leaves_no_pii(nlp):
    df, secrets = _frame_with_odd_cells()
    out = voc.analyze_batch({"text": df["text"].tolist()}, nlp=nlp)
    for i, (kind, secret) in enumerate(secrets):
        _assert_no_leak([out[c][i] for c in out], kind, secret, f"analyze_batch row {i}")


# --------------------------------------------------------------------------- files and pages
def _read_back(path: Path) -> list[list[str]]:
    suffix = path.suffix
    if suffix == ".csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif suffix == ".jsonl":
        df = pd.read_json(path, lines=True, dtype=False)
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_excel(path, dtype=str)
    return [[str(v) for v in row] for row in df.itertuples(index=False)]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet", ".xlsx"])
def test_cli_analyze_outputs_leave_no_pii(tmp_path, suffix):
    from click.testing import CliRunner

    from voc.cli import main

    src = tmp_path / "in.csv"
    pd.DataFrame({"text": [t for t, _, _ in BATCH]}).to_csv(src, index=False)
    out = tmp_path / f"out{suffix}"
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = _read_back(out)
    assert len(rows) == len(BATCH)
    raw = out.read_bytes().decode("utf-8", "replace") if suffix in (".csv", ".jsonl") else ""
    for row, (_, kind, secret) in zip(rows, BATCH, strict=True):
        _assert_no_leak(row, kind, secret, f"voc analyze {suffix}")
        assert not leaks(raw, kind, secret) if kind == "EMAIL" else True
    _assert_no_leak(res.output, "PHONE", "x" * 12, "stdout")


def test_report_html_leaves_no_pii(tmp_path, nlp):
    from voc.report import build_report

    phones = [f"1{random.Random(i).choice('3456789')}{i:09d}" for i in range(60)]
    texts = [t for t, _, _ in BATCH[:120]]
    df = pd.DataFrame({
        "text": texts,
        "customer_id": [phones[i % 60] for i in range(120)],
        "timestamp": pd.date_range("2026-01-01", periods=120, freq="D"),
    })
    out = build_report(df, tmp_path / "r.html", nlp=nlp)
    page = out.read_text(encoding="utf-8")
    # the page without its embedded images
    import re

    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    for _, kind, secret in BATCH[:120]:
        assert not leaks(page, kind, secret), kind
    for p in phones:
        assert not leaks(page, "PHONE", p)


def _body(r):
    """The strings of a response body (JSON parsed: numbers are scores, not text)."""
    try:
        return list(_strings(r.json()))
    except ValueError:
        return [r.text]


def test_service_bodies_leave_no_pii(nlp):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from voc.service import create_app

    app = create_app(nlp=nlp, max_batch=64, max_text_chars=200, max_body_bytes=50_000)
    with TestClient(app) as client:
        chunk = BATCH[:64]
        r = client.post("/analyze", json={"texts": [t for t, _, _ in chunk]})
        assert r.status_code == 200
        for res, (_, kind, secret) in zip(r.json()["results"], chunk, strict=True):
            _assert_no_leak(res, kind, secret, "service 200")
        for t, kind, secret in BATCH[64:96]:
            for bad in ({"text": t, "extra": t}, {"texts": t}, {"text": [t, 1]}, {"text": t * 50},
                        {"texts": [t] * 100}):
                r = client.post("/analyze", json=bad)
                _assert_no_leak(_body(r), kind, secret, f"service {r.status_code}")
            r = client.post("/analyze", content=("{\"text\": \"" + t).encode(),
                            headers={"content-type": "application/json"})
            _assert_no_leak(_body(r), kind, secret, f"service {r.status_code} (truncated JSON)")
            r = client.post("/analyze", content=t.encode(), headers={"content-type": "text/plain"})
            _assert_no_leak(_body(r), kind, secret, f"service {r.status_code} (text body)")
            _assert_no_leak(json.dumps(dict(r.headers)), kind, secret, "service headers")
