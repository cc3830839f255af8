"""Fuzzing the input boundary: anything in, a result or TypeError/ValueError out.

Batch APIs (``pipe``) must return exactly one result per input, in order, whatever
the input holds; single-text APIs may raise only TypeError or ValueError.
"""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc import tokenize as voc_tokenize
from voc._input import coerce_text
from voc.text import Normalizer, normalize
from voc.tokenize import Tokenizer

# Characters that stress the normalizer: surrogates, controls, zero-width, emoji,
# full-width forms, traditional Chinese, digits and the characters placeholders start with.
SPECIAL = (
    ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "\x00", "\x07", "\x1b", "\x7f", "\x85"]
    + ["\u200b", "\u200c", "\u200d", "\u2028", "\ufeff", "\u202e", "\ufe0f", "\U0001f3fb", "\u20e3"]
    + ["😡", "👍", "❤", "👨", "🇨", "🇳", "[", "]", "怒", "doge", "<", ">", "PHONE", "URL"]
    + ["Ａ", "！", "，", "\u3000", "①", "…", "這", "個", "說", "坏", "乾", "沈"]
    + [
        "0",
        "1",
        "3",
        "8",
        "6",
        "X",
        "+",
        "-",
        " ",
        "@",
        "#",
        ".",
        "/",
        "http://",
        "www.",
        "订单号",
        "\n",
        "\t",
    ]
)
texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=100),
    st.lists(st.sampled_from(SPECIAL), max_size=60).map("".join),
    st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=3)), max_size=40).map("".join),
)
non_texts = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=50),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
items = st.one_of(texts, non_texts, texts.map(lambda s: s.encode("utf-8", "surrogatepass")))

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENIZER = Tokenizer()
NORMALIZER = Normalizer()


def _valid_output(text: str) -> None:
    text.encode("utf-8")  # no lone surrogates
    assert not any(c in text for c in "\x00\x07\x1b\x7f\u200b\ufeff\u202e")
    assert text == text.strip()


@FUZZ
@given(items)
def test_normalize_returns_or_raises_type_or_value_error(x):
    try:
        r = normalize(x)
    except (TypeError, ValueError):
        return
    _valid_output(r.text)
    for span in r.spans:
        assert r.text[span.start : span.end] == f"<{span.kind}>"
    assert all(e in r.text for e in r.emoji)


@FUZZ
@given(items)
def test_coerce_text_contract(x):
    try:
        out = coerce_text(x)
    except TypeError:
        assert not isinstance(x, (str, bytes))
        return
    except ValueError:
        assert isinstance(x, (str, bytes))
        return
    assert type(out) is str and out.strip()
    out.encode("utf-8")


@FUZZ
@given(items)
def test_tokenizer_returns_or_raises_type_or_value_error(x):
    try:
        tokens = TOKENIZER(x)
    except (TypeError, ValueError):
        return
    assert isinstance(tokens, list)
    assert all(isinstance(t, str) and t and not t.isspace() for t in tokens)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items, max_size=25))
def test_pipes_return_one_result_per_input_in_order(batch):
    normalized = list(NORMALIZER.pipe(batch))
    assert len(normalized) == len(batch)
    tokenized = list(TOKENIZER.pipe(batch, with_errors=True))
    assert len(tokenized) == len(batch)
    for x, r, (tokens, error) in zip(batch, normalized, tokenized, strict=True):
        try:
            expected = NORMALIZER(x)
        except (TypeError, ValueError) as exc:
            assert r.error == str(exc) and r.text == ""
            assert tokens == [] and error == str(exc)
            continue
        assert r == expected and r.error is None
        assert error is None and tokens == TOKENIZER(x)


def test_mixed_list_of_non_texts():
    batch = [
        None,
        math.nan,
        0,
        -1.5,
        True,
        b"",
        b"\xff\xff",
        "好",
        "好".encode("gb18030"),
        [],
        {},
        object(),
        "  ",
    ]
    assert len(list(NORMALIZER.pipe(batch))) == len(batch)
    out = list(TOKENIZER.pipe(batch, with_errors=True))
    assert len(out) == len(batch)
    assert [t for t, _ in out] == [[]] * 7 + [["好"], ["好"]] + [[]] * 4
    assert all(e for _, e in out[:7] + out[9:])


ONE_MB = 1_000_000
HUGE = {
    "ascii letters": "a" * ONE_MB,
    "digits": "1" * ONE_MB,
    "emails without tld": "a@" * (ONE_MB // 2),
    "urls": "http://" * (ONE_MB // 7),
    "repeats": "啊" * ONE_MB,
    "mixed": ("這個服務太差了！！！！13812345678😡[怒]\u200b https://t.cn/x " * (ONE_MB // 40)),
    "surrogates and controls": "\ud800\x00\u200d" * (ONE_MB // 3),
}


@pytest.mark.parametrize("name", list(HUGE))
def test_one_megabyte_strings_are_linear(name):
    text = HUGE[name]
    t0 = time.perf_counter()
    r = normalize(text)
    assert time.perf_counter() - t0 < 10, "normalize must stay linear on adversarial input"
    _valid_output(r.text)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.lists(st.sampled_from(SPECIAL), min_size=1, max_size=12).map("".join))
def test_random_one_megabyte_strings(unit):
    text = unit * (ONE_MB // len(unit) + 1)
    batch = [text, None, unit]
    out = list(NORMALIZER.pipe(batch))
    assert len(out) == 3 and out[1].error
    for r in (out[0], out[2]):
        if r.error is None:
            _valid_output(r.text)
    if _has_rjieba():
        assert len(list(Tokenizer(backend="rjieba").pipe(batch))) == 3


def test_one_megabyte_string_tokenized():
    tok = Tokenizer(backend="rjieba" if _has_rjieba() else "jieba", max_length=None)  # all of the 1 MB
    text = HUGE["mixed"][:ONE_MB]
    tokens = tok(text)
    assert "<PHONE>" in tokens and "😡" in tokens and "[怒]" in tokens
    assert list(tok.pipe([text, None])) == [tokens, []]


def _has_rjieba() -> bool:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- huge inputs (issue #15, item 9)
TEN_MB_UNITS = ["a@", "1-", "www.", "[", "啊", "13812345678 "]


@pytest.fixture(scope="module")
def analyzer():
    import voc

    return voc.load()


@pytest.mark.parametrize("unit", TEN_MB_UNITS)
def test_ten_megabyte_text_is_cut_before_cleaning_in_nlp(analyzer, unit):
    import tracemalloc

    text = unit * (10_000_000 // len(unit))
    tracemalloc.start()
    t0 = time.perf_counter()
    r = analyzer(text)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 3, f"nlp took {elapsed:.1f} s on 10 MB of {unit!r}"
    assert peak < 64e6, f"nlp used {peak / 1e6:.0f} MB on 10 MB of {unit!r}"
    assert r.truncated and len(r.text) <= analyzer.max_length
    assert "13812345678" not in r.text  # cut before masking: no phone number escapes it
    [p] = list(analyzer.pipe([text]))
    assert p.truncated and p.text == r.text


@pytest.mark.parametrize("unit", TEN_MB_UNITS)
def test_ten_megabyte_text_is_cut_before_cleaning_in_tokenizer(unit):
    text = unit * (10_000_000 // len(unit))
    t0 = time.perf_counter()
    with pytest.warns(voc_tokenize.TruncatedWarning, match="truncated to max_length=100,000"):
        tokens = TOKENIZER(text)
    assert time.perf_counter() - t0 < 3
    assert 0 < len(tokens) <= 100_000  # tokens of the first 100,000 characters only
    with pytest.warns(voc_tokenize.TruncatedWarning):
        assert list(TOKENIZER.pipe([text.encode("utf-8"), None])) == [tokens, []]


def test_long_text_below_the_raw_limit_is_analyzed_as_before(analyzer):
    # Cutting the raw text at 2 * max_length changes nothing for texts up to that length:
    # the normalized text is cut at max_length as it always was.
    text = "客服   电话打不通！！！！！" * 300  # 4,500 raw characters, spaces and repeats squeezed
    r = analyzer(text)
    assert r.truncated and r.text == analyzer.normalizer(text).text[: analyzer.max_length]
    short = analyzer("客服电话打不通")
    assert not short.truncated


def test_clip_text_never_splits_a_number_or_address():
    from voc._input import CLIP_BACKOFF, clip_text

    assert clip_text("好" * 10, 20) == "好" * 10
    assert clip_text("电话13812345678", 8) == "电话"
    assert clip_text("邮箱 someone@example.com 好", 10) == "邮箱 "
    assert clip_text("好👨\u200d👩\u200d👧好", 4) == "好"  # an emoji ZWJ sequence is kept whole or dropped
    assert clip_text("好e\u0301好", 2) == "好"  # a combining accent stays with its letter
    long_run = "a" * (CLIP_BACKOFF * 3)
    assert clip_text(long_run, 100) == "a" * 100  # no boundary within reach: cut at the limit
    assert len(clip_text("x" + "1" * 1000, 500)) == 500
