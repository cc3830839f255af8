"""Reliability: property tests over every batch API, thread-safety, PII leaks in outputs.

* Batch APIs (``nlp.pipe``, ``voc.analyze_frame``, ``voc.analyze_batch``,
  ``Normalizer.pipe``, ``Tokenizer.pipe``) return exactly one output per input, in
  order, with ``error`` set where the input is unusable, whatever the input holds:
  random unicode with lone surrogates, control characters, emoji ZWJ sequences, RTL
  marks, 1 MB strings, None/NaN/pd.NA/numbers/bytes/containers.
* The single-text API ``nlp(x)`` raises only ``TypeError``/``ValueError``.
* One analyzer shared by 8 threads over 10k texts gives the sequential results
  (tokenizers with different user dictionaries in parallel threads are covered by
  ``tests/test_tokenize.py::test_thread_safety_with_different_user_dicts``).
* Phone numbers, ID cards, bank cards and e-mails do not leak into ``to_json()``,
  ``Result.to_dict()``, tokens, ``repr``, logs, the whole ``analyze_frame`` output (its
  text column is masked by default) or the ``voc analyze`` output file.

How many generated inputs were tried is printed at the end of the module (run with
``-s``) and written as JSON to ``$VOC_RELIABILITY_REPORT`` when that is set.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import voc
from voc._input import coerce_text
from voc.frame import OUTPUT_COLUMNS
from voc.text import Normalizer
from voc.tokenize import Tokenizer

ONE_MB = 1_000_000
EMPTY_AFTER_NORMALIZATION = "ValueError: empty text after normalization"

# ----------------------------------------------------------------- strategies
ZWJ_EMOJI = [
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳\ufe0f\u200d🌈",
    "👩🏽\u200d💻",
    "❤\ufe0f\u200d🔥",
    "🧑\u200d🤝\u200d🧑",
    "1\ufe0f\u20e3",
    "🇨🇳",
    "👍🏻",
    "\u200d",
    "😡",
]
RTL = ["\u200f", "\u200e", "\u202b", "\u202e", "\u202c", "\u2067", "\u2069", "\u061c", "مرحبا", "שלום"]
CONTROL = [
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u2028",
    "\u2029",
    "\r\n",
    "\t",
    "\x0c",
    "\ufeff",
    "\u200b",
    "\u00ad",
    "\ufff9",
]
SURROGATES = ["\ud800", "\udfff", "\udbff", "\udc00", "\ud83d", "\ude00", "\ud83d\ude00"]
CHINESE = [
    "客服电话一直打不通",
    "算了不投诉了",
    "退款三天了还没到账",
    "物流太慢了",
    "這個服務",
    "！！！！",
    "[怒]",
    "[doge]",
    "13812345678",
    "<PHONE>",
    "http://t.cn/abc",
    "@小明",
    "#话题#",
    "订单号123456789",
    "   ",
    "\u3000",
    "ＡＢＣ",
    "…",
    "好" * 5,
]
PIECES = ZWJ_EMOJI + RTL + CONTROL + SURROGATES + CHINESE

texts = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=60),  # incl. surrogates
    st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=20).map("".join),
)
non_texts = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.just(pd.NA),
    st.just(np.float64("nan")),
    st.just(pd.NaT),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from([np.int64(7), np.float32(1.5), np.bool_(True)]),
    st.binary(max_size=40),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
encoded = texts.flatmap(
    lambda s: st.sampled_from(
        [
            s.encode("utf-8", "surrogatepass"),
            s.encode("gb18030", "replace") if not any("\ud800" <= c <= "\udfff" for c in s) else b"\xff",
            bytearray(s.encode("utf-8", "replace")),
        ]
    )
)
items = st.one_of(texts, texts, non_texts, encoded)
batches = st.lists(items, max_size=24)

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
#: Examples per batch property (each example is a list of up to 24 inputs); the module stays < 60 s.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=_HEALTH)
SINGLE = settings(max_examples=400, deadline=None, suppress_health_check=_HEALTH)

HUGE_MIXED = (
    "這個服務太差了！！！！13812345678😡[怒]\u200b\u202e https://t.cn/x 👨\u200d👩\u200d👧 " * (ONE_MB // 50)
)[:ONE_MB]
HUGE_BATCH = [
    "啊" * ONE_MB,
    None,
    HUGE_MIXED,
    float("nan"),
    ("\ud800\x00\u200d" * (ONE_MB // 3)),
    b"\xff\xfe",
    "物流太慢了",
]

# ----------------------------------------------------------------- counting
TRIED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_inputs_tried():
    t0 = time.perf_counter()
    yield
    report = {"examples": dict(TRIED), "seconds": round(time.perf_counter() - t0, 1)}
    print(f"\nreliability inputs tried: {json.dumps(report)}")
    target = os.environ.get("VOC_RELIABILITY_REPORT")
    if target:
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1)


def _count(test: str, batch: list[Any]) -> None:
    TRIED[f"{test}.examples"] += 1
    TRIED[f"{test}.inputs"] += len(batch)
    TRIED["all.inputs"] += len(batch)


# ----------------------------------------------------------------- helpers
def _usable(x: Any) -> bool:
    try:
        coerce_text(x)
    except (TypeError, ValueError):
        return False
    return True


def _empty(d: dict[str, Any]) -> bool:
    return all(d[k] in (None, []) for k in d if k != "error")


def _same_record(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


def _check_pipe_results(nlp: Any, batch: list[Any], results: list[Any]) -> None:
    assert len(results) == len(batch)
    for x, r in zip(batch, results, strict=True):
        d = r.to_dict()
        if not _usable(x):
            assert r.error and _empty(d) and r.text == ""
            continue
        if r.error is not None:  # usable input that normalizes to nothing: the single-text API raises
            assert r.error == EMPTY_AFTER_NORMALIZATION and _empty(d)
            with pytest.raises(ValueError, match="empty text after normalization"):
                nlp(x)
            continue
        single = nlp(x)  # must not raise for a usable text
        assert _same_record(d, single.to_dict()), (x, d, single.to_dict())  # right place, same answer
        assert r.text == single.text
        assert d["sentiment"] and isinstance(d["sentiment_score"], float)
        r.text.encode("utf-8")  # no lone surrogate survives


# ----------------------------------------------------------------- properties
@PROPERTY
@given(batch=batches, batch_size=st.integers(1, 9))
@example(batch=HUGE_BATCH, batch_size=2)
def test_pipe_one_result_per_input_in_order(nlp, batch, batch_size):
    _count("pipe", batch)
    _check_pipe_results(nlp, batch, list(nlp.pipe(iter(batch), batch_size=batch_size)))


@SINGLE
@given(x=items)
@example(x="a" * ONE_MB)
@example(x=HUGE_MIXED)
@example(x="\ud800" * ONE_MB)
def test_single_text_raises_only_type_or_value_error(nlp, x):
    _count("single", [x])
    try:
        r = nlp(x)
    except TypeError:
        assert not isinstance(x, (str, bytes, bytearray))
        return
    except ValueError:
        assert not _usable(x) or next(nlp.pipe([x])).error == EMPTY_AFTER_NORMALIZATION
        return
    assert _usable(x)
    assert r.error is None
    r.text.encode("utf-8")
    assert len(r.text) <= nlp.max_length


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    col = draw(batches)
    index = draw(
        st.one_of(
            st.just(pd.RangeIndex(len(col))),
            st.permutations(range(len(col))).map(lambda p: pd.Index([10 * i + 3 for i in p])),
            st.just(pd.Index([f"r{i}" for i in range(len(col))])),
        )
    )
    kind = draw(st.sampled_from(["object", "string", "float"]))
    if kind == "string":  # pandas' string dtype: texts and pd.NA only
        col = [
            x if isinstance(x, str) and x == x.encode("utf-8", "replace").decode("utf-8") else None
            for x in col
        ]
        series = pd.Series(col, dtype="string", index=index)
    elif kind == "float":  # a numeric column: nothing usable
        col = [float(len(str(x))) if i % 2 else float("nan") for i, x in enumerate(col)]
        series = pd.Series(col, dtype="float64", index=index)
    else:
        series = pd.Series(col, dtype=object, index=index)
    return pd.DataFrame({"text": series, "other": range(len(col))}, index=index)


@PROPERTY
@given(df=frames(), batch_size=st.integers(1, 9))
@example(
    df=pd.DataFrame(
        {"text": pd.Series(HUGE_BATCH, dtype=object), "other": range(len(HUGE_BATCH))},
        index=pd.Index([5, 3, 1, 0, 2, 4, 6]),
    ),
    batch_size=3,
)
def test_analyze_frame_one_row_per_row(nlp, df, batch_size):
    _count("analyze_frame", df["text"].tolist())
    out = voc.analyze_frame(df, "text", nlp=nlp, batch_size=batch_size, progress=False)
    assert len(out) == len(df) and out.index.equals(df.index)
    assert list(out.columns) == ["text", "other", *OUTPUT_COLUMNS]
    assert out["other"].tolist() == df["other"].tolist()
    expected = list(nlp.pipe(df["text"].tolist()))
    for (_, row), r in zip(out.iterrows(), expected, strict=True):
        rec = {k: row[k] for k in r.to_dict()}
        rec = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        assert _same_record(rec, r.to_dict())
        assert row["evidence"] == r.evidence


@PROPERTY
@given(batch=batches)
@example(batch=HUGE_BATCH)
def test_all_batch_apis_agree_on_unusable_items(nlp, batch):
    """analyze_batch, Normalizer.pipe and Tokenizer.pipe: one output each, same bad items."""
    _count("batch_apis", batch)
    n = len(batch)
    out = voc.analyze_batch({"text": list(batch), "id": list(range(n))}, nlp=nlp)
    assert all(len(v) == n for v in out.values()) and out["id"] == list(range(n))
    for col in OUTPUT_COLUMNS:
        assert col in out
    for e in out["evidence"]:
        json.loads(e)

    normalized = list(NORMALIZER.pipe(iter(batch)))
    tokenized = list(TOKENIZER.pipe(iter(batch), with_errors=True))
    assert len(normalized) == len(tokenized) == n
    for x, err, norm, (tokens, tok_err) in zip(batch, out["error"], normalized, tokenized, strict=True):
        usable = _usable(x)
        assert (norm.error is None) == usable == (tok_err is None)
        assert err is None or not usable or err == EMPTY_AFTER_NORMALIZATION
        if not usable:
            assert err and norm.text == "" and tokens == []
        else:
            norm.text.encode("utf-8")
            assert all(t and not t.isspace() for t in tokens)


NORMALIZER = Normalizer()
TOKENIZER = Tokenizer()


@pytest.mark.parametrize("value", ["\ud800", "\udfff 退款 13812345678", "\ud83d\ude00"])
def test_lone_surrogates_in_frame_and_batch(nlp, value):
    """Found by the properties above: an all-str column holding a lone surrogate (text from a
    lenient JSON decoder) must not crash the copy of the text column into the output."""
    df = pd.DataFrame({"text": pd.Series([value, "好评"], dtype=object)})
    out = voc.analyze_frame(df, nlp=nlp, progress=False)
    assert len(out) == 2 and out["error"].isna().all()
    batch = voc.analyze_batch({"text": [value]}, nlp=nlp)
    assert len(batch["text"]) == len(batch["sentiment"]) == 1


# ----------------------------------------------------------------- thread-safety
def _thread_corpus(voc_zh: pd.DataFrame, n: int) -> list[Any]:
    base = voc_zh["text"].tolist()
    out: list[Any] = [f"{base[i % len(base)]} #{i}" for i in range(n)]
    for i in range(0, n, 97):  # bad items scattered in
        out[i] = [None, float("nan"), "", b"\xff\xfe", "\u200b", 42][(i // 97) % 6]
    return out


def test_shared_analyzer_8_threads_equals_sequential(voc_zh, nlp):
    corpus = _thread_corpus(voc_zh, 10_000)
    shared = voc.load()  # fresh: its tokenizer is created lazily inside the threads
    n_threads = 8
    barrier = threading.Barrier(n_threads)
    parts: dict[int, list[tuple[dict, list[str]]]] = {}
    failures: list[BaseException] = []

    def work(k: int) -> None:
        try:
            barrier.wait()
            mine = corpus[k::n_threads]
            parts[k] = [(r.to_json(), r.tokens) for r in shared.pipe(mine, batch_size=32)]
        except BaseException as e:  # noqa: BLE001 - reported below
            failures.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_threads)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    threaded_s = time.perf_counter() - t0
    assert not failures, failures
    threaded: list[Any] = [None] * len(corpus)
    for k, res in parts.items():
        threaded[k::n_threads] = res

    t0 = time.perf_counter()
    sequential = [(r.to_json(), r.tokens) for r in nlp.pipe(corpus, batch_size=256)]
    sequential_s = time.perf_counter() - t0
    TRIED["threads.texts"] = len(corpus)
    TRIED["threads.n"] = n_threads
    print(f"\n8 threads: {threaded_s:.1f} s, sequential: {sequential_s:.1f} s for {len(corpus)} texts")
    assert len(threaded) == len(sequential) == len(corpus)
    diff = [i for i, (a, b) in enumerate(zip(threaded, sequential, strict=True)) if a != b]
    assert not diff, [(corpus[i], threaded[i], sequential[i]) for i in diff[:2]]
    assert sum(1 for j, _ in sequential if j["error"]) == len(range(0, len(corpus), 97))


# ----------------------------------------------------------------- PII leaks
def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        digits = prefix + d
        total = 0
        for i, ch in enumerate(reversed(digits)):
            v = int(ch) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


CARD16 = _luhn_complete("622202123456789")
CARD19 = _luhn_complete("621700001234567890")
PII_VALUES = {
    "phone": ["13812345678", "+86 13912345678", "0086-15012345678", "186-1234-5678", "177 1234 5678"],
    "idcard": ["11010519491231002X", "440301199001011234", "32010620000229123x"],
    "bankcard": [CARD16, CARD19, " ".join(CARD16[i : i + 4] for i in range(0, 16, 4))],
    "email": ["zhang.san@example.com", "li_si+vip@mail.qq.com", "WANG-wu@163.com"],
}
PII_TEMPLATES = [
    "客服让我打{v}联系，一直打不通，算了",
    "我的{v}被泄露了!!!太气人了",
    "{v}",
    "退款到{v}了吗？？",
    "請聯系{v}，這個服務太差了😡",
    "联系方式:{v}，订单号1234567890123",
]
LEAK_PATTERNS = {
    "phone": re.compile(r"(?<![0-9])1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?![0-9])"),
    "idcard": re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx]?"),
    "bankcard": re.compile(r"(?<![0-9])[0-9]{4}(?:[ \-]?[0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?(?![0-9])"),
    "email": re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
}


def _pii_texts() -> list[str]:
    return [t.format(v=v) for vs in PII_VALUES.values() for v in vs for t in PII_TEMPLATES]


_FLOAT_RE = re.compile(r"-?[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?")


def _strings(obj: Any) -> list[str]:
    """Every string inside ``obj`` (dict keys too); numbers are not text and are skipped."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in _strings(k) + _strings(v)]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in _strings(v)]
    return []


def _leaks(obj: Any) -> list[str]:
    """PII-looking substrings of the strings in ``obj``; decimals are cut out first (the 16+
    digits of a float score, also inside a JSON ``<task>_scores`` cell, look like a card number)."""
    blob = _FLOAT_RE.sub(" ", "\n".join(_strings(obj)))  # also JSON score mappings in CSV cells
    found = [f"{kind}: {m.group()}" for kind, pat in LEAK_PATTERNS.items() for m in pat.finditer(blob)]
    raw = [v for vs in PII_VALUES.values() for v in vs]
    found += [f"raw: {v}" for v in raw if v in blob or v.replace(" ", "").replace("-", "") in blob]
    return found


def test_no_pii_in_pipe_to_json_tokens_and_logs(nlp, caplog):
    texts = _pii_texts()
    with caplog.at_level(logging.DEBUG):
        results = list(nlp.pipe(texts))
    assert len(results) == len(texts) and all(r.error is None for r in results)
    structured = [[r.to_json(), r.to_dict(), r.tokens, r.evidence] for r in results]
    assert not _leaks(structured), _leaks(structured)[:5]
    free_text = "\n".join(repr(r) for r in results) + "\n".join(rec.getMessage() for rec in caplog.records)
    assert not _leaks(free_text), _leaks(free_text)[:5]
    masked = " ".join(r.text for r in results)
    for token in ("<PHONE>", "<IDCARD>", "<BANKCARD>", "<EMAIL>"):
        assert token in masked
    TRIED["pii.texts"] = len(texts)


def test_no_pii_in_analyze_frame_output(nlp):
    texts = _pii_texts()
    df = pd.DataFrame({"text": texts, "id": range(len(texts))})
    out = voc.analyze_frame(df, nlp=nlp, progress=False)  # the text column is masked too, by default
    records = out.to_dict(orient="records")
    assert not _leaks(records), _leaks(records)[:5]


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_no_pii_in_cli_analyze_output_file(tmp_path, ext):
    from click.testing import CliRunner

    from voc.cli import main

    texts = _pii_texts()
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": texts}).to_csv(src, index=False)
    out = tmp_path / f"out.{ext}"
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert not _leaks(res.output)
    back = pd.read_csv(out) if ext == "csv" else pd.read_json(out, lines=True, dtype=False)
    assert len(back) == len(texts)
    records = back.to_dict(orient="records")
    assert not _leaks(records), _leaks(records)[:5]
    blob = out.read_text(encoding="utf-8")  # the raw file too (free text: decimals cut out first)
    assert not _leaks(blob), _leaks(blob)[:5]
