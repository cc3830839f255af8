"""Behaviour of voc.text: normalization steps, placeholders, PII masking, emoji."""

from __future__ import annotations

import dataclasses
import doctest
import json
import threading
from pathlib import Path

import pytest

import voc._input
import voc.text
from voc._input import InputError, coerce_text
from voc.text import PII_KINDS, PLACEHOLDERS, Normalized, Normalizer, Span, emoji_hints, normalize

DATA = Path(voc.text.__file__).parent / "data"
STEPS = (
    "fullwidth",
    "t2s",
    "nfkc",
    "strip_control",
    "collapse_space",
    "squeeze_repeats",
    "placeholders",
    "mask_pii",
)


def test_docstring_examples_run():
    for module in (voc.text, voc._input):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# -- input validation ---------------------------------------------------------


def test_coerce_text_accepts_str_and_bytes():
    assert coerce_text("退款") == "退款"
    assert coerce_text("退款".encode()) == "退款"
    assert coerce_text("退款".encode("gb18030")) == "退款"
    assert coerce_text(bytearray("好".encode())) == "好"
    assert type(coerce_text(type("S", (str,), {})("子类"))) is str


@pytest.mark.parametrize("bad", [None, float("nan"), 3, 2.5, True, ["a"], {"a": 1}, object()])
def test_coerce_text_rejects_non_text_with_type_in_message(bad):
    with pytest.raises(TypeError) as exc:
        coerce_text(bad)
    assert "expected a text" in str(exc.value)
    if bad is None:
        assert "None" in str(exc.value)
    elif isinstance(bad, float) and bad != bad:
        assert "NaN" in str(exc.value)
    else:
        assert type(bad).__name__ in str(exc.value)


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "\u3000"])
def test_empty_text_is_value_error(bad):
    with pytest.raises(ValueError, match="empty text"):
        coerce_text(bad)
    with pytest.raises(InputError):
        normalize(bad)


def test_undecodable_bytes():
    with pytest.raises(ValueError, match="could not decode bytes as UTF-8 or GB18030"):
        coerce_text(b"\xff\xfe\xfa")


def test_lone_surrogates_are_replaced_not_errors():
    assert coerce_text("a\ud800b") == "a\ufffdb"
    assert coerce_text("\ud83d\ude00") == "😀"  # a valid pair becomes the character
    r = normalize("客服\udfff太差")
    r.text.encode("utf-8")
    assert "\ufffd" in r.text


# -- steps ----------------------------------------------------------------------


def test_t2s():
    r = normalize("這個服務太差了")
    assert r.text == "这个服务太差了"
    assert "t2s" in r.changes
    assert r.original == "這個服務太差了"


def test_t2s_skips_opencc_for_simplified_text(monkeypatch):
    def boom(text):
        raise AssertionError("OpenCC called for simplified text")

    monkeypatch.setattr(voc.text, "_t2s", boom)
    assert normalize("这个服务太差了,客服电话打不通").text == "这个服务太差了,客服电话打不通"
    assert normalize("plain ascii text").text == "plain ascii text"


def test_t2s_keeps_simplified_huai():
    # OpenCC alone would turn 打坏 into 打坯.
    assert normalize("這個手機被打坏了").text == "这个手机被打坏了"


def test_t2s_trigger_table_covers_opencc_single_characters():
    import opencc

    bmp_re, astral = voc.text._t2s_tables()
    chars = [chr(c) for c in range(0x4E00, 0xA000)] + [chr(c) for c in range(0x3400, 0x4DC0)]
    out = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    assert len(out) == len(chars)
    missed = [c for c, o in zip(chars, out, strict=True) if o != c and not bmp_re.search(c) and c != "坏"]
    assert missed == []
    assert all(ord(c) >= 0x10000 for c in astral)


def test_fullwidth_and_nfkc():
    r = normalize("ＡＢＣ　１２３！")
    assert r.text == "ABC 123!"
    assert r.changes == ("fullwidth",)
    r = normalize("温度℃很高①")
    assert r.text == "温度°C很高1"
    assert r.changes == ("nfkc",)
    assert normalize("ＡＢＣ", fullwidth=False, nfkc=False).text == "ＡＢＣ"
    assert normalize("ＡＢＣ！", nfkc=False).text == "ABC!"
    r = normalize("ＡＢＣ①", fullwidth=False)  # NFKC without folding full-width forms
    assert r.text == "ＡＢＣ1" and r.changes == ("nfkc",)


def test_strip_control_and_zero_width():
    r = normalize("退\u200b款\x00了\n没有\t到账\ufeff")
    assert r.text == "退款了 没有 到账"
    assert "strip_control" in r.changes
    family = "👨\u200d👩\u200d👧"
    assert family in normalize(f"全家{family}都气死了").text  # ZWJ inside emoji kept
    assert "\u200d" not in normalize("客\u200d服").text
    assert normalize("a\nb", collapse_space=False).text == "a b"


def test_collapse_space():
    r = normalize("  客服   太差 \t\t 了  ")
    assert r.text == "客服 太差 了"
    assert "collapse_space" in r.changes
    assert normalize("a  b", collapse_space=False).text == "a  b"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("啊啊啊啊啊", "啊啊"),
        ("!!!!!!", "!!"),
        ("哈哈哈", "哈哈哈"),
        ("太慢了。。。。", "太慢了。。"),
        ("😡😡😡😡😡", "😡😡"),
    ],
)
def test_squeeze_repeats(raw, expected):
    r = normalize(raw)
    assert r.text == expected
    assert ("squeezed" in r.changes) == (raw != expected)


def test_squeeze_leaves_digits_and_can_be_switched_off():
    assert normalize("充了10000元").text == "充了10000元"
    r = normalize("啊啊啊啊啊", squeeze_repeats=False)
    assert r.text == "啊啊啊啊啊" and "squeezed" not in r.changes


@pytest.mark.parametrize("step", STEPS)
def test_every_step_can_be_switched_off(step):
    raw = "ＡＢＣ這個\u200b服務  太差了！！！！ 13812345678 https://t.cn/abc ①"
    on = normalize(raw)
    off = normalize(raw, **{step: False})
    assert on.text != off.text
    name = {"squeeze_repeats": "squeezed", "mask_pii": "pii_masked"}.get(step, step)
    assert name in on.changes
    assert name not in off.changes


def test_unknown_option_is_type_error():
    with pytest.raises(TypeError):
        normalize("好", lowercase=True)


# -- placeholders and PII -----------------------------------------------------------


def _spans_ok(r: Normalized) -> None:
    for s in r.spans:
        assert r.text[s.start : s.end] == f"<{s.kind}>"


@pytest.mark.parametrize(
    ("raw", "expected", "kind", "original"),
    [
        (
            "看这里 https://item.taobao.com/item.htm?id=123 吧",
            "看这里 <URL> 吧",
            "URL",
            "https://item.taobao.com/item.htm?id=123",
        ),
        ("短链t.cn/A6xYz9 点开", "短链<URL> 点开", "URL", "t.cn/A6xYz9"),
        ("@招商银行 你们客服呢", "<USER> 你们客服呢", "USER", "@招商银行"),
        ("#外卖超时#又是这样", "<TOPIC>又是这样", "TOPIC", "#外卖超时#"),
        ("订单号:202311112233445 还没发货", "订单号:<ORDER> 还没发货", "ORDER", "202311112233445"),
        ("单号SF1234567890查不到", "单号<ORDER>查不到", "ORDER", "SF1234567890"),
        ("流水 1234567890123 有问题", "流水 <ORDER> 有问题", "ORDER", "1234567890123"),
    ],
)
def test_placeholders(raw, expected, kind, original):
    r = normalize(raw)
    assert r.text == expected
    assert "placeholders" in r.changes
    assert [(s.kind, s.original) for s in r.spans] == [(kind, original)]
    _spans_ok(r)


PII_CASES = [
    ("打我电话13812345678谢谢", "打我电话<PHONE>谢谢", "PHONE", "13812345678"),
    ("电话 +86 138-1234-5678 找我", "电话 <PHONE> 找我", "PHONE", "+86 138-1234-5678"),
    ("电话138 1234 5678", "电话<PHONE>", "PHONE", "138 1234 5678"),
    ("身份证11010519491231002X已实名", "身份证<IDCARD>已实名", "IDCARD", "11010519491231002X"),
    ("卡号6222021234567890128被扣款", "卡号<BANKCARD>被扣款", "BANKCARD", "6222021234567890128"),
    ("卡号 6228 4800 1234 5671 被扣款", "卡号 <BANKCARD> 被扣款", "BANKCARD", "6228 4800 1234 5671"),
    ("邮箱 zhang.san@example.com.cn 回复", "邮箱 <EMAIL> 回复", "EMAIL", "zhang.san@example.com.cn"),
    ("QQ邮箱12345678@qq.com", "QQ邮箱<EMAIL>", "EMAIL", "12345678@qq.com"),
]


@pytest.mark.parametrize(("raw", "expected", "kind", "secret"), PII_CASES)
def test_pii_masked_and_not_leaked(raw, expected, kind, secret):
    r = normalize(raw)
    assert r.text == expected
    assert "pii_masked" in r.changes
    assert len(r.spans) == 1
    span = r.spans[0]
    assert span.kind == kind and kind in PII_KINDS
    assert span.original == "*" * len(secret)  # only the length survives
    _spans_ok(r)
    digits = "".join(c for c in secret if c.isdigit())
    assert secret not in repr(r)
    assert not digits or digits not in repr(r)
    assert secret not in repr(r.spans) and secret not in r.text
    assert r.original == raw  # the caller's own input, not shown in repr


def test_luhn_failure_is_an_order_number_not_a_card():
    r = normalize("卡号6222021234567890126")
    assert r.text == "卡号<ORDER>" and r.spans[0].kind == "ORDER"


def test_switches_for_placeholders_and_pii():
    raw = "链接https://a.cn/x 电话13812345678"
    assert normalize(raw, mask_pii=False).text == "链接<URL> 电话13812345678"
    assert normalize(raw, placeholders=False).text == "链接https://a.cn/x 电话<PHONE>"
    assert normalize(raw, placeholders=False, mask_pii=False).text == raw


def test_pii_inside_urls_and_topics_is_not_leaked():
    r = normalize("点 https://x.cn/a?tel=13812345678&id=1 看 #我的电话13912345678#")
    assert r.text == "点 <URL> 看 <TOPIC>"
    assert [s.original for s in r.spans] == ["https://x.cn/a?tel=***********&id=1", "#我的电话***********#"]
    r = normalize("点 https://x.cn/a?tel=13812345678&id=1", placeholders=False)
    assert r.text == "点 https://x.cn/a?tel=<PHONE>&id=1"


def test_span_offsets_after_squeeze_and_multiple_replacements():
    r = normalize("啊啊啊啊啊 13812345678 和 @小王 还有 13912345678!!!!!!")
    assert r.text == "啊啊 <PHONE> 和 <USER> 还有 <PHONE>!!"
    assert [s.kind for s in r.spans] == ["PHONE", "USER", "PHONE"]
    assert set(r.changes) >= {"squeezed", "pii_masked", "placeholders"}
    _spans_ok(r)


def test_placeholders_constant():
    assert {
        "<URL>",
        "<USER>",
        "<TOPIC>",
        "<ORDER>",
        "<PHONE>",
        "<IDCARD>",
        "<BANKCARD>",
        "<EMAIL>",
    } == PLACEHOLDERS
    assert {f"<{k}>" for k in PII_KINDS} <= PLACEHOLDERS


# -- result type, emoji -------------------------------------------------------------


def test_normalized_is_frozen_with_fields():
    r = normalize("好")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.text = "x"  # type: ignore[misc]
    assert {f.name for f in dataclasses.fields(Normalized)} == {
        "text",
        "original",
        "changes",
        "spans",
        "emoji",
        "error",
    }
    assert r.error is None and str(r) == "好"
    assert isinstance(Span("URL", 0, 5, "x"), Span)


def test_emoji_and_bracket_emoticons_kept_and_listed():
    r = normalize("气死了😡[怒][允悲] 👍🏻 ❤️ [doge]")
    assert r.text == "气死了😡[怒][允悲] 👍🏻 ❤️ [doge]"
    assert r.emoji == ("😡", "[怒]", "[允悲]", "👍🏻", "❤️", "[doge]")
    assert normalize("no emoji here").emoji == ()


def test_emoji_hints():
    h = emoji_hints("气死了😡[怒]")
    assert h["count"] == 2 and h["emotions"] == {"anger": 2}
    assert h["sentiment"] == pytest.approx(-1.8)
    assert emoji_hints(["👍🏻", "❤️", "好", "[未知表情]"])["emotions"] == {"delight": 2}
    assert emoji_hints(normalize("赞👍"))["matched"] == ("👍",)
    assert emoji_hints("")["count"] == 0


def test_emoji_table_is_complete_and_valid():
    taxonomy = json.loads((DATA / "taxonomy.json").read_text(encoding="utf-8"))
    emotions = {label["code"] for label in taxonomy["tasks"]["emotion"]["labels"]}
    table = voc.text._emoji_table()
    brackets = [t for t in table if t.startswith("[")]
    assert len(brackets) >= 60 and len(table) - len(brackets) >= 80
    for token, (score, emotion) in table.items():
        assert -1.0 <= score <= 1.0, token
        assert emotion in emotions, token
        assert voc.text._EMOTE_RE.fullmatch(token), token  # every entry is found in text


# -- Normalizer ---------------------------------------------------------------------


def test_normalizer_stores_options_and_pipe_never_raises():
    norm = Normalizer(t2s=False)
    assert norm.get_params() == {s: s != "t2s" for s in STEPS}
    items = ["這個", None, float("nan"), 3, b"\xff\xfe\xfa", "", "好评!!!!!", "退款".encode("gb18030")]
    out = list(norm.pipe(items))
    assert len(out) == len(items)
    assert out[0].text == "這個" and out[0].error is None
    assert [r.error is not None for r in out] == [False, True, True, True, True, True, False, False]
    assert out[1].error == "expected a text (str or bytes), got None"
    assert all(r.text == "" for r in out if r.error)
    assert out[6].text == "好评!!" and out[7].text == "退款"
    assert norm.normalize_text("好评!!!!!") == "好评!!"


def test_normalize_is_thread_safe():
    texts = [f"這個服務太差了{i}號！！！！電話1381234{i:04d}" for i in range(200)]
    expected = [normalize(t) for t in texts]
    results: dict[int, list[Normalized]] = {}

    def work(k: int) -> None:
        results[k] = [normalize(t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == expected for k in range(8))


# --------------------------------------------------------------------------- legacy encodings (issue #15, item 10)
JAPANESE = "注文した商品がまだ届きません。返金してください。"


@pytest.mark.parametrize(
    ("raw", "codec"),
    [
        ("客服電話打不通".encode("big5"), "Big5"),
        ("商品質量太差，我要投訴，退錢！".encode("cp950"), "Big5"),
        (JAPANESE.encode("shift_jis"), "Shift-JIS"),
        ("カスタマーサービスに電話がつながらない".encode("cp932"), "Shift-JIS"),
    ],
)
def test_big5_and_shift_jis_bytes_are_flagged_not_misread(raw, codec):
    with pytest.raises(InputError, match=f"bytes look like {codec}, not UTF-8/GB18030; decode them first"):
        coerce_text(raw)
    with pytest.raises(ValueError, match=codec):
        normalize(raw)
    [r] = Normalizer().pipe([raw])
    assert r.text == "" and codec in r.error


@pytest.mark.parametrize(
    "text",
    ["客服电话打不通", "退款", "差评", "这个服务太差了！！客服电话13812345678打不通😡", "外卖小哥𠀀送餐超时", "客服電話打不通"],
)
def test_gbk_gb18030_and_utf8_bytes_still_decode(text):
    for codec in ("gb18030", "gbk", "utf-8"):
        try:
            raw = text.encode(codec)
        except UnicodeEncodeError:  # emoji and 𠀀 are not in GBK
            continue
        assert coerce_text(raw) == text
        if codec != "utf-8":
            assert voc._input.guess_legacy_encoding(raw) is None


def test_gbk_corpus_texts_are_never_flagged():
    # Every authored corpus text in GBK decodes unflagged (no false alarm on real Chinese);
    # the same texts in traditional characters and Big5 are flagged (short ones may pass).
    from voc.datasets import load_frame

    texts = load_frame("voc_zh")["text"].tolist()
    raws = [t.encode("gbk") for t in texts if not t.isascii() and _encodable(t, "gbk")]
    assert len(raws) > 3000
    assert [r.decode("gbk") for r in raws if voc._input.guess_legacy_encoding(r)] == []
    import opencc

    s2t = opencc.OpenCC("s2t")
    big5 = [t.encode("big5") for t in (s2t.convert(t) for t in texts[:500]) if _encodable(t, "big5")]
    flagged = sum(voc._input.guess_legacy_encoding(r) == "Big5" for r in big5)
    assert flagged >= 0.97 * len(big5)


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True
