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
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
