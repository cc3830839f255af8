"""The HTTP service: ASGI test client for every endpoint and limit, one real uvicorn process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from voc.service import create_app  # noqa: E402

TASKS = ("sentiment", "emotion", "intent", "complaint_stage", "journey_stage", "temperament",
         "non_complaint_reasons", "behaviors", "aspects")


@pytest.fixture(scope="module")
def client(nlp):
    app = create_app(nlp=nlp, max_batch=8, max_text_chars=200, max_body_bytes=20_000)
    with TestClient(app) as c:
        yield c


def test_single_text(client):
    r = client.post("/analyze", json={"text": "客服电话一直打不通，算了不投诉了，电话13812345678"})
    assert r.status_code == 200
    (res,) = r.json()["results"]
    assert set(TASKS) <= set(res)
    assert res["error"] is None
    assert res["sentiment"]["label"] == "negative" and -1 <= res["sentiment"]["score"] <= 1
    assert "channel_blocked" in [x["label"] for x in res["non_complaint_reasons"]]
    assert "<PHONE>" in res["text"] and "13812345678" not in r.text
    ev = [e for x in res["non_complaint_reasons"] for e in x["evidence"]]
    assert ev and all(res["text"][e["start"]:e["end"]] == e["text"] for e in ev)


def test_batch_keeps_order_and_flags_bad_items(client, nlp):
    texts = ["物流超快，点赞", None, 42, "", "   ", "x" * 201, True, ["nested"], "退款三天了还没到账"]
    r = client.post("/analyze", json={"texts": texts[:8]})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert len(res) == 8
    assert res[0]["error"] is None and res[0]["sentiment"]["label"] == nlp("物流超快，点赞").sentiment.label
    for i in range(1, 8):
        assert res[i]["error"], (i, res[i])
        assert res[i]["sentiment"]["label"] is None and res[i]["aspects"] == []
    assert "TypeError" in res[1]["error"] and "limit is 200" in res[5]["error"]
    r = client.post("/analyze", json={"texts": [texts[-1], texts[0]]})
    assert [x["error"] for x in r.json()["results"]] == [None, None]
    assert client.post("/analyze", json={"texts": []}).json() == {"results": []}


def test_413_for_big_batch_and_big_body(client):
    r = client.post("/analyze", json={"texts": ["好"] * 9})
    assert r.status_code == 413 and "limit is 8" in r.json()["detail"]
    big = json.dumps({"texts": ["好" * 1000] * 8}, ensure_ascii=False).encode("utf-8")
    assert len(big) > 20_000
    r = client.post("/analyze", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "limit is 20000 bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: the size of what actually arrives is checked
        for _ in range(30):
            yield b" " * 1000

    r = client.post("/analyze", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "larger than the limit of 20000 bytes" in r.json()["detail"]
    r = client.post("/analyze", content=b"{}", headers={"Content-Type": "application/json",
                                                         "Content-Length": "abc"})
    assert r.status_code == 400 and "Content-Length" in r.json()["detail"]


def test_422_for_wrong_types(client):
    cases = [
        ({"text": 3}, "string"),
        ({"text": None}, "exactly one"),
        ({"texts": "abc"}, "list"),
        ({}, "exactly one"),
        ({"text": "a", "texts": ["b"]}, "exactly one"),
        ({"text": "a", "lang": "zh"}, "Extra inputs"),
        (["a", "b"], "dictionary"),
    ]
    for body, needle in cases:
        r = client.post("/analyze", json=body)
        assert r.status_code == 422, body
        assert needle.lower() in json.dumps(r.json()).lower(), (body, r.json())
    r = client.post("/analyze", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post("/analyze", json={"text": "好" * 201})
    assert r.status_code == 422 and "limit is 200" in r.json()["detail"]
    r = client.post("/analyze", json={"text": "   "})
    assert r.status_code == 422 and "empty" in r.json()["detail"]


def test_health_labels_openapi(client, nlp):
    h = client.get("/health").json()
    import voc

    assert h == {"status": "ok", "model_loaded": True, "version": voc.__version__}
    labels = client.get("/labels").json()
    assert labels["tasks"] == nlp.taxonomy.to_dict()["tasks"]
    reasons = {x["code"]: x["name_zh"] for x in labels["tasks"]["non_complaint_reasons"]["labels"]}
    assert reasons["channel_blocked"] and labels["tasks"]["aspects"]["kind"] == "multi"
    spec = client.get("/openapi.json").json()
    assert {"/analyze", "/health", "/labels"} <= set(spec["paths"])
    assert "413" in spec["paths"]["/analyze"]["post"]["responses"]
    assert "AnalyzeRequest" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_lazy_load_and_thread_safety():
    app = create_app()
    c = TestClient(app)  # no lifespan: the analyzer loads on the first request
    assert c.get("/health").json()["model_loaded"] is False
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"第{i}次投诉物流太慢了" for i in range(8)]
    with ThreadPoolExecutor(4) as ex:
        outs = list(ex.map(lambda t: c.post("/analyze", json={"text": t}).json()["results"][0]["text"], texts))
    assert outs == texts
    assert c.get("/health").json()["model_loaded"] is True
    with pytest.raises(ValueError):
        create_app(max_batch=0)


def test_import_voc_does_not_import_fastapi():
    code = "import sys, voc; voc.load; import voc.cli; print('fastapi' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_end_to_end_uvicorn(tmp_path: Path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "voc.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--max-batch", "100"], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(base + "/health", timeout=1).json().get("model_loaded"):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        texts = ["客服电话一直打不通，算了不投诉了", "物流超快，第二天就到了", None] * 10
        r = httpx.post(base + "/analyze", json={"texts": texts}, timeout=30)
        assert r.status_code == 200
        res = r.json()["results"]
        assert len(res) == 30
        assert res[0]["sentiment"]["label"] == "negative" and res[1]["sentiment"]["label"] == "positive"
        assert res[2]["error"] and res[2]["sentiment"]["label"] is None
        assert httpx.post(base + "/analyze", json={"texts": ["好"] * 101}, timeout=10).status_code == 413
        assert httpx.get(base + "/labels", timeout=10).status_code == 200
        # personal data in query strings, paths and bad bodies never reaches the server log
        assert httpx.get(base + "/health?phone=13812345678", timeout=10).status_code == 200
        assert httpx.get(base + "/zhang.san@example.com", timeout=10).status_code == 404
        bad = httpx.post(base + "/analyze", content=b'{"text": "13812345678', timeout=10,
                         headers={"Content-Type": "application/json"})
        assert bad.status_code == 422 and "13812345678" not in bad.text
        assert "<script" not in httpx.get(base + "/docs", timeout=10).text.lower()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert "GET /health HTTP/1.1" in text and "POST /analyze HTTP/1.1" in text  # the access log is on
    assert "13812345678" not in text and "zhang.san" not in text, text


# ------------------------------------------------------------------ issue #15: no request text in errors
PHONE, EMAIL, ID_CARD = "13812345678", "zhang.san@example.com", "110101199003074514"
SECRETS = (PHONE, EMAIL, ID_CARD, "zhang.san", "1199003074")


def _leaks(r) -> list[str]:
    """The secrets found in a response's body or headers."""
    blob = r.content.decode("utf-8", "replace") + json.dumps(dict(r.headers))
    return [s for s in SECRETS if s in blob]


def test_error_responses_never_echo_request_text(client):
    pii = f"电话{PHONE}，邮箱{EMAIL}，身份证{ID_CARD}"
    j = {"Content-Type": "application/json"}
    cases = [
        {"json": {"text": int(PHONE)}},
        {"json": {"text": [pii]}},
        {"json": {"text": {"phone": pii}}},
        {"json": {"texts": pii}},
        {"json": {"texts": {PHONE: pii}}},
        {"json": {"text": pii, "texts": [pii]}},
        {"json": {"text": pii, "lang": pii}},
        {"json": {"text": pii, PHONE: 1, EMAIL: 2}},
        {"json": {PHONE: pii}},
        {"json": [pii, EMAIL]},
        {"json": pii},
        {"json": int(PHONE)},
        {"json": {"text": pii + "好" * 200}},  # too long -> 422
        {"json": {"texts": [pii] * 9}},  # too many -> 413
        {"content": json.dumps({"texts": [pii * 50] * 8}).encode(), "headers": j},  # too big -> 413
        {"content": pii.encode(), "headers": j},  # not JSON
        {"content": f'{{"text": "{pii}'.encode(), "headers": j},  # truncated JSON
        {"content": f'{{"text": "{pii}",}}'.encode(), "headers": j},  # trailing comma
        {"content": f'{{"text": "{pii}"}}'.encode("gb18030"), "headers": j},  # not UTF-8
        {"content": f'{{"text": "{pii}"}}'.encode(), "headers": {"Content-Type": "text/plain"}},
        {"content": f"text={pii}".encode(), "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"content": pii.encode(), "headers": {"Content-Type": "application/json", "Content-Length": "abc"}},
        {"content": pii.encode(), "headers": {}},
    ]
    for kw in cases:
        r = client.post("/analyze", **kw)
        assert r.status_code in (400, 413, 422), (kw, r.status_code, r.text)
        assert not _leaks(r), (kw, r.text)
        detail = r.json()["detail"]
        if isinstance(detail, list):  # structured: loc, msg, type only
            assert detail and all(set(d) == {"loc", "msg", "type"} for d in detail), r.text
    for r in (client.get(f"/analyze?text={PHONE}"), client.get(f"/{PHONE}?email={EMAIL}"),
              client.post(f"/analyze/{PHONE}", json={"text": pii})):
        assert r.status_code in (404, 405) and not _leaks(r), r.text
    r = client.post("/analyze", json={"text": "a", "lang": "zh"})  # still says what is wrong
    assert r.json()["detail"] == [{"loc": ["body", "<unknown field>"], "msg": "Extra inputs are not permitted",
                                   "type": "extra_forbidden"}]


class _Exploding:
    """An analyzer whose failure message quotes the text (as a careless component might)."""

    taxonomy = None

    def pipe(self, texts):
        raise RuntimeError(f"cannot analyze {list(texts)!r}")


def test_internal_error_is_plain_500_without_text_in_body_or_log(caplog):
    c = TestClient(create_app(nlp=_Exploding()), raise_server_exceptions=False)
    with caplog.at_level("DEBUG"):
        r = c.post("/analyze", json={"text": f"我的电话是{PHONE}"})
    assert r.status_code == 500 and r.json() == {"detail": "internal server error"}
    assert not _leaks(r)
    assert "RuntimeError" in caplog.text and PHONE not in caplog.text
    r = c.get("/labels")  # taxonomy None -> AttributeError: still a plain 500
    assert r.status_code == 500 and r.json() == {"detail": "internal server error"}


def test_access_log_filter_drops_query_and_unknown_paths():
    import logging

    from voc.service import AccessLogFilter

    create_app(nlp=_Exploding())
    rec = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                            ("127.0.0.1:5", "GET", f"/health?phone={PHONE}", "1.1", 200), None)
    assert AccessLogFilter().filter(rec) and rec.getMessage() == '127.0.0.1:5 - "GET /health HTTP/1.1" 200'
    rec.args = ("127.0.0.1:5", "GET", f"/{EMAIL}", "1.1", 404)
    AccessLogFilter().filter(rec)
    assert EMAIL not in rec.getMessage() and "<other path>" in rec.getMessage()


# ------------------------------------------------------------------ issue #15: /docs works offline
def test_docs_page_is_local(client):
    import re

    r = client.get("/docs")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", r.text), r.text
    assert "http://" not in r.text and "https://" not in r.text
    assert 'href="/openapi.json"' in r.text
    for path in ("/analyze", "/health", "/labels"):
        assert f"<code>{path}</code>" in r.text
    assert client.get("/redoc").status_code == 404
    assert "/docs" not in client.get("/openapi.json").json()["paths"]


def test_docs_uses_installed_swagger_ui_bundle(tmp_path, monkeypatch, nlp):
    import types

    (tmp_path / "swagger-ui-bundle.js").write_text("/* js */")
    (tmp_path / "swagger-ui.css").write_text("/* css */")
    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", types.SimpleNamespace(swagger_ui_path=tmp_path))
    c = TestClient(create_app(nlp=nlp))
    r = c.get("/docs")
    assert r.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in r.text
    assert "http://" not in r.text and "https://" not in r.text
    assert c.get("/docs/static/swagger-ui-bundle.js").text == "/* js */"


def test_served_model_config_cannot_turn_masking_off(nlp, tmp_path):
    nlp.to_disk(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    (tmp_path / "config.json").write_text(json.dumps({**cfg, "normalize": {"mask_pii": False}}), encoding="utf-8")
    with pytest.warns(UserWarning, match="mask_pii"), TestClient(create_app(model=tmp_path)) as c:  # voc serve --model
        r = c.post("/analyze", json={"texts": [f"电话{PHONE}，邮箱{EMAIL}"]})
    assert r.status_code == 200 and not _leaks(r)
    assert "<PHONE>" in r.json()["results"][0]["text"]


def test_customers_profile_goes_through_one_history(client):
    body = {
        "feedback": [
            {"customer_id": 101.0, "timestamp": "2024-05-01", "channel": "app", "text": "退款十天了还没到账，太差了"},
            {"customer_id": "102", "timestamp": "2024-05-03", "channel": "app", "text": "很好用，满意"},
            {"customer_id": None, "timestamp": "2024-05-04", "channel": "weibo", "text": "物流太慢"},
        ],
        "events": [{"customer_id": "101", "timestamp": "2024-05-02", "type": "return", "detail": "damaged"},
                   {"customer_id": "102", "timestamp": "not a date", "type": "order"}],
    }
    r = client.post("/customers/profile", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["as_of"].startswith("2024-05-04") and out["invalid_rows"]["events"] == 1
    prof = {p["customer_id"]: p for p in out["profiles"]}
    assert set(prof) == {"101", "102"}  # ids as text: 101.0 -> "101"
    assert prof["101"]["has_problem"] and not prof["102"]["has_problem"]
    assert prof["101"]["silent"]  # a problem and no contact


def test_customers_profile_bad_tables(client):
    r = client.post("/customers/profile", json={"feedback": [{"text": "退款没到账", "channel": "app"}]})
    assert r.status_code == 422 and "timestamp" in r.json()["detail"]
    r = client.post("/customers/profile", json={"feedback": [], "orders": []})
    assert r.status_code == 422
    many = [{"text": "x", "timestamp": "2024-01-01", "channel": "app"}] * 300
    assert client.post("/customers/profile", json={"feedback": many}).status_code == 413
