"""Behaviour of voc.tokenize.Tokenizer (jieba and rjieba backends)."""

from __future__ import annotations

import doctest
import importlib.util
import pickle
import sys
import threading
from pathlib import Path

import jieba
import pytest

import voc.tokenize
from voc.text import Normalizer
from voc.tokenize import Tokenizer, load_stopwords

DATA = Path(voc.tokenize.__file__).parent / "data"
HAS_RJIEBA = importlib.util.find_spec("rjieba") is not None
BACKENDS = [
    "jieba",
    pytest.param("rjieba", marks=pytest.mark.skipif(not HAS_RJIEBA, reason="rjieba not installed")),
]
NEW_WORD = "蓝莓派对"  # not in jieba's dictionary: split by default


@pytest.fixture(scope="module", params=BACKENDS)
def tok(request) -> Tokenizer:
    return Tokenizer(backend=request.param)


def test_docstring_examples_run():
    result = doctest.testmod(voc.tokenize)
    assert result.failed == 0 and result.attempted > 0


def test_params_stored_unchanged():
    words = ["一", "二"]
    norm = Normalizer(t2s=False)
    t = Tokenizer(backend="jieba", user_dict=words, stopwords=True, normalize=norm, hmm=False)
    params = t.get_params()
    assert params["user_dict"] is words and params["normalize"] is norm
    assert params == {
        "backend": "jieba",
        "user_dict": words,
        "stopwords": True,
        "normalize": norm,
        "hmm": False,
        "max_length": 100_000,
    }
    assert Tokenizer(**params).get_params() == params


def test_domain_dictionary_words(tok):
    text = "人工客服打不通,转人工也没用,退款昨天才到账,给了差评,打了12315还上了黑猫投诉,最后不了了之"
    tokens = tok(text)
    for word in ["人工客服", "打不通", "转人工", "退款", "到账", "差评", "12315", "黑猫投诉", "不了了之"]:
        assert word in tokens, (word, tokens)
    tokens = tok("栓Q,绝绝子,无语子,破防了。花呗实名认证,外卖小哥说骑手催单要开工单")
    for word in ["栓Q", "绝绝子", "无语子", "破防", "花呗", "实名认证", "外卖小哥", "骑手", "催单", "工单"]:
        assert word in tokens, (word, tokens)


def test_domain_dictionary_file_size():
    lines = [
        x
        for x in (DATA / "domain_dict.txt").read_text(encoding="utf-8").splitlines()
        if x and not x.startswith("# ")
    ]
    assert len(lines) >= 150


def test_placeholders_emoji_and_brackets_are_single_tokens(tok):
    tokens = tok("链接https://t.cn/abc 电话13812345678 @客服小王 #投诉#😡😡[怒][允悲]👍🏻 ❤️")
    for t in ["<URL>", "<PHONE>", "<USER>", "<TOPIC>", "😡", "[怒]", "[允悲]", "👍🏻", "❤️"]:
        assert t in tokens, (t, tokens)
    assert tokens.count("😡") == 2
    raw = Tokenizer(backend=tok.backend, normalize=False)
    assert raw("<PHONE>联系<url>[doge]") == ["<PHONE>", "联系", "<url>", "[doge]"]


def test_whitespace_dropped(tok):
    assert all(t.strip() for t in tok("  客服  太差 \t了 hello   world \n"))
    raw = Tokenizer(backend=tok.backend, normalize=False)
    assert all(t.strip() for t in raw("  客服  太差 \t了\u3000hello   world \n"))


def test_normalization_on_off():
    assert Tokenizer()("這個服務太差了") == ["这个", "服务", "太差", "了"]
    assert "".join(Tokenizer(normalize=False)("這個服務太差了")) == "這個服務太差了"
    assert Tokenizer(normalize=Normalizer(mask_pii=False))("电话13812345678") != ["电话", "<PHONE>"]
    assert Tokenizer(normalize=lambda s: s.upper())("abc") == ["ABC"]


def test_stopwords():
    words = load_stopwords()
    assert 250 <= len(words) <= 600
    assert {"的", "了", "吗", ",", "。"} <= words
    assert not {"不", "没", "没有", "别", "太", "很"} & words
    t = Tokenizer(stopwords=True)
    tokens = t("我的快递到了吗?不是说好的今天到吗")
    assert "的" not in tokens and "吗" not in tokens and "快递" in tokens and "不是" in tokens
    assert Tokenizer(stopwords=["快递"])("我的快递") == ["我", "的"]


def test_stopwords_from_file(tmp_path):
    path = tmp_path / "sw.txt"
    path.write_text("# comment\n快递\n", encoding="utf-8")
    assert Tokenizer(stopwords=path)("我的快递") == ["我", "的"]


def test_user_dict_changes_segmentation(tok, tmp_path):
    assert NEW_WORD not in tok(f"周末去了{NEW_WORD}")
    with_list = Tokenizer(backend=tok.backend, user_dict=[NEW_WORD])
    assert NEW_WORD in with_list(f"周末去了{NEW_WORD}")
    path = tmp_path / "user.txt"
    path.write_text(f"# my words\n{NEW_WORD} 50 n\n", encoding="utf-8")
    assert NEW_WORD in Tokenizer(backend=tok.backend, user_dict=path)(f"周末去了{NEW_WORD}")
    # neither the shared instance nor jieba's global one was touched
    assert NEW_WORD not in tok(f"周末去了{NEW_WORD}")
    assert NEW_WORD not in jieba.lcut(f"周末去了{NEW_WORD}")


def test_dictionary_loaded_once_and_shared():
    a, b = Tokenizer(), Tokenizer(stopwords=True)
    a("好"), b("好")
    shared = voc.tokenize._shared_segmenter("jieba")
    assert voc.tokenize._segmenter("jieba", []) is shared
    private = voc.tokenize._segmenter("jieba", [(NEW_WORD, None, None)])
    assert private is not shared and private.FREQ is not shared.FREQ
    assert NEW_WORD not in shared.FREQ and shared is not jieba.dt


@pytest.mark.parametrize("backend", BACKENDS)
def test_thread_safety_with_different_user_dicts(backend):
    texts = [f"周末去了{NEW_WORD},人工客服打不通{i},退款{i}还没到账😡" for i in range(60)]
    tokenizers = [Tokenizer(backend, user_dict=[NEW_WORD]), Tokenizer(backend, user_dict=["客服打"])]
    # first use happens inside the threads: lazy initialisation must be safe too
    results: dict[int, list[list[str]]] = {}
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        barrier.wait()
        results[k] = [tokenizers[k % 2](t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fresh = [Tokenizer(backend, user_dict=[NEW_WORD]), Tokenizer(backend, user_dict=["客服打"])]
    sequential = [[fresh[0](t) for t in texts], [fresh[1](t) for t in texts]]
    assert sequential[0] != sequential[1]
    for k in range(8):
        assert results[k] == sequential[k % 2]


def test_single_text_errors(tok):
    with pytest.raises(TypeError):
        tok(None)
    with pytest.raises(TypeError):
        tok(float("nan"))
    with pytest.raises(ValueError):
        tok("   ")
    assert tok("好评".encode("gb18030")) == ["好评"]
    assert tok("\u200b\u200b") == []  # valid text that normalizes to nothing


def test_pipe_order_and_errors(tok):
    items = ["退款到账了", None, 3, float("nan"), b"\xff\xfe\xfa", "", "客服太差", "好".encode()]
    out = list(tok.pipe(items))
    assert len(out) == len(items)
    assert out[0] == tok("退款到账了") and out[6] == tok("客服太差") and out[7] == ["好"]
    assert out[1:6] == [[]] * 5
    pairs = list(tok.pipe(items, with_errors=True))
    assert [e is None for _, e in pairs] == [True, False, False, False, False, False, True, True]
    assert pairs[1][1] == "expected a text (str or bytes), got None"
    assert pairs[5][1] == "empty text"


def test_pipe_multiprocessing_matches_serial():
    texts = [f"第{i}单外卖小哥送餐超时,客服电话打不通😡" if i % 7 else None for i in range(240)]
    tok = Tokenizer(user_dict=[NEW_WORD])
    serial = list(tok.pipe(texts, with_errors=True))
    parallel = list(tok.pipe(texts, n_process=2, batch_size=50, with_errors=True))
    assert parallel == serial
    assert list(tok.pipe(texts[:10], n_process=2, batch_size=50)) == [t for t, _ in serial[:10]]


def test_pickle_roundtrip():
    tok = Tokenizer(user_dict=[NEW_WORD], stopwords=True)
    tok("热身")
    clone = pickle.loads(pickle.dumps(tok))
    assert clone.get_params() == tok.get_params()
    assert clone(f"去了{NEW_WORD}") == tok(f"去了{NEW_WORD}")


def test_bad_configuration_raises_on_first_use():
    with pytest.raises(ValueError, match="unknown backend"):
        Tokenizer(backend="nope")("好")
    with pytest.raises(ValueError, match="unknown backend"):
        list(Tokenizer(backend="nope").pipe(["好"]))
    with pytest.raises(FileNotFoundError):
        Tokenizer(user_dict="/nonexistent/dict.txt")("好")


def test_rjieba_missing_gives_helpful_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "rjieba", None)
    monkeypatch.setattr(voc.tokenize, "_SHARED", {})
    with pytest.raises(ImportError, match=r"pip install 'voc-zh\[fast\]'"):
        Tokenizer(backend="rjieba")("好")


def test_set_params_rebuilds():
    tok = Tokenizer()
    assert NEW_WORD not in tok(NEW_WORD)
    tok.set_params(user_dict=[NEW_WORD])
    assert tok(NEW_WORD) == [NEW_WORD]
    with pytest.raises(ValueError):
        tok.set_params(lowercase=True)


# --------------------------------------------------------------------------- max_length (issue #15, item 9)
def test_max_length_cuts_raw_text_before_normalizing_with_a_warning():
    text = "客服电话打不通" * 10 + "联系13812345678"  # 70 Chinese characters, then the phone
    tok = Tokenizer(max_length=75)
    with pytest.warns(voc.tokenize.TruncatedWarning, match="text of 83 characters truncated to max_length=75"):
        tokens = tok(text)
    assert tokens == Tokenizer()(text[:72])  # the cut moved back before the phone number: no half number
    assert "13812345678"[:3] not in "".join(tokens)
    with pytest.warns(voc.tokenize.TruncatedWarning):
        assert list(tok.pipe([text.encode("gb18030")], with_errors=True)) == [(tokens, None)]


def test_max_length_none_keeps_everything_and_bad_values_raise():
    import warnings

    text = "退款" * 60_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(Tokenizer(max_length=None)(text)) == 60_000
        assert Tokenizer()("退款") == ["退款"]
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="max_length must be a positive int or None"):
            Tokenizer(max_length=bad)("好")


def test_max_length_survives_pickling_and_processes():
    tok = Tokenizer(max_length=5)
    clone = pickle.loads(pickle.dumps(tok))
    assert clone.max_length == 5
    texts = ["客服电话打不通啊"] * 60
    with pytest.warns(voc.tokenize.TruncatedWarning):
        serial = list(tok.pipe(texts))
    assert serial[0] == Tokenizer()("客服电话打")
    assert list(tok.pipe(texts, n_process=2, batch_size=20)) == serial
