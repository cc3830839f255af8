"""The transformers backend, end to end on a tiny random BERT built from the test texts.

Nothing is downloaded: ``tiny_bert.make_tiny_bert`` writes a 2-layer, 32-dim BERT whose
vocabulary is the characters of the texts below. The whole file runs in well under a
minute on 2 CPU cores.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_bert import make_tiny_bert  # noqa: E402

from voc.models.transformers import TransformersTextClassifier  # noqa: E402

pytestmark = pytest.mark.transformers

REPO_ROOT = Path(__file__).resolve().parents[1]

POSITIVE = [
    "这家店的菜太好吃了，强烈推荐",
    "服务员态度很好，下次还会再来",
    "物流速度超快，包装也很用心",
    "质量非常好，性价比很高",
    "客服回复及时，问题很快就解决了",
    "衣服穿着很舒服，颜色也好看",
    "手机运行流畅，拍照效果很棒",
    "房间干净整洁，住得很满意",
    "老板人很热情，味道也正宗",
    "宝贝收到了，和描述的一样，好评",
    "耳机音质清晰，戴着也舒服",
    "快递小哥很负责，送货上门",
    "价格实惠，东西也好用，满意",
    "环境优雅，菜品精致，值得推荐",
]
NEGATIVE = [
    "菜太难吃了，再也不会来了",
    "服务态度极差，等了一个小时没人理",
    "物流太慢了，半个月才到",
    "质量很差，用了两天就坏了",
    "客服一直不回复，电话也打不通",
    "衣服有线头还掉色，很失望",
    "手机发热严重，还经常卡顿",
    "房间又脏又吵，根本睡不着",
    "价格贵得离谱，分量还少",
    "收到的东西是坏的，申请退款也不处理",
    "耳机有杂音，左耳没声音",
    "快递把包裹弄丢了，差评",
    "退货流程太麻烦，再也不买了",
    "上菜慢，菜还是凉的，太差劲",
]
NEUTRAL = [
    "请问这个商品什么时候发货",
    "我想咨询一下会员积分怎么用",
    "订单已经提交了，等待付款",
    "这款手机有几种颜色可以选",
    "明天下午三点开会讨论方案",
    "请问门店几点开始营业",
    "快递今天下午到了小区门口",
    "这个价格包含运费吗",
    "我买的是蓝色的M码",
    "周末打算去商场看看",
    "发票可以开公司抬头吗",
    "这家店在地铁站旁边",
    "请帮我查一下订单状态",
    "产品说明书在盒子里面",
]
TEXTS = POSITIVE + NEGATIVE + NEUTRAL
LABELS = ["positive"] * len(POSITIVE) + ["negative"] * len(NEGATIVE) + ["neutral"] * len(NEUTRAL)

# multi-label targets: aspects mentioned by keyword (some texts have none, some two)
ASPECTS = {
    "logistics": ["物流", "快递", "发货", "送货", "包裹", "运费"],
    "price": ["价格", "性价比", "贵", "实惠", "运费", "退款", "付款"],
    "service": ["服务", "客服", "态度", "老板", "回复"],
}
MULTI = [[a for a, kws in ASPECTS.items() if any(k in t for k in kws)] for t in TEXTS]

FAST = {"epochs": 15, "learning_rate": 2e-3, "batch_size": 8, "progress": False}


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny models train fastest on one thread; several threads thrash on a busy 2-core box."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Tiny checkpoint whose vocabulary covers the raw and the normalized training texts."""
    extra = TEXTS + [t.replace("，", ",") for t in TEXTS]
    return make_tiny_bert(tmp_path_factory.mktemp("ckpt"), extra)


@pytest.fixture(scope="module")
def single(tiny: str) -> TransformersTextClassifier:
    return TransformersTextClassifier(tiny, **FAST).fit(TEXTS, LABELS)


def _weight_files(path: Path) -> list[str]:
    return sorted(p.name for pat in ("*.bin", "*.pt", "*.pth", "*.pkl", "*.ckpt") for p in path.glob(pat))


# ---------------------------------------------------------------- single-label
def test_single_label_learns_training_set(single: TransformersTextClassifier) -> None:
    assert single.classes_ == ["negative", "neutral", "positive"]
    assert single.multi_label_ is False
    assert single.model_.config.problem_type == "single_label_classification"
    proba = single.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    acc = np.mean([p == y for p, y in zip(single.predict(TEXTS), LABELS, strict=True)])
    assert acc >= 0.8, f"train accuracy {acc:.2f}, losses {single.loss_history_}"
    assert single.loss_history_[-1] < single.loss_history_[0]


def test_fit_is_seeded(tiny: str, single: TransformersTextClassifier) -> None:
    again = TransformersTextClassifier(tiny, **FAST).fit(TEXTS, LABELS)
    np.testing.assert_allclose(again.predict_proba(TEXTS[:6]), single.predict_proba(TEXTS[:6]), atol=1e-5)


def test_save_load_roundtrip_safetensors_only(single: TransformersTextClassifier, tmp_path: Path) -> None:
    out = tmp_path / "sentiment"
    single.save_pretrained(out)
    assert (out / "model.safetensors").exists()
    assert _weight_files(out) == [], "no pickle-based weight files may be written"
    meta = json.loads((out / "voc_component.json").read_text(encoding="utf-8"))
    assert meta["classes"] == single.classes_ and meta["multi_label"] is False
    assert meta["params"]["epochs"] == FAST["epochs"]

    loaded = TransformersTextClassifier.from_pretrained(out)
    assert loaded.classes_ == single.classes_ and loaded.multi_label_ is False
    assert loaded.get_params() == single.get_params()
    probe = TEXTS[::5] + ["完全没见过的句子", "好"]
    np.testing.assert_allclose(loaded.predict_proba(probe), single.predict_proba(probe), atol=1e-5)
    assert loaded.predict(probe) == single.predict(probe)


def test_predict_edge_cases(single: TransformersTextClassifier) -> None:
    assert single.predict_proba([]).shape == (0, 3)
    long = "很好吃" * 200  # longer than max_length and max_position_embeddings: truncated
    assert single.predict_proba([long]).shape == (1, 3)
    with pytest.raises(TypeError, match="single str"):
        single.predict_proba("好吃")
    with pytest.raises(TypeError, match="must be str"):
        single.predict_proba(["好吃", None])


def test_fit_validation(tiny: str) -> None:
    clf = TransformersTextClassifier(tiny, progress=False)
    with pytest.raises(RuntimeError, match="not fitted"):
        clf.predict_proba(["好吃"])
    with pytest.raises(ValueError, match="different lengths"):
        clf.fit(TEXTS, LABELS[:-1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(TEXTS[:3], ["positive"] * 3)


# ----------------------------------------------------------------- multi-label
def test_multi_label_bce(tiny: str, tmp_path: Path) -> None:
    params = {**FAST, "epochs": 4}
    clf = TransformersTextClassifier(tiny, multi_label=True, **params).fit(TEXTS, MULTI)
    assert clf.multi_label_ is True
    assert clf.classes_ == ["logistics", "price", "service"]
    assert clf.model_.config.problem_type == "multi_label_classification"
    proba = clf.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent sigmoids, not a softmax
    preds = clf.predict(TEXTS)
    assert all(isinstance(p, list) and set(p) <= set(clf.classes_) for p in preds)

    clf.save_pretrained(tmp_path / "aspects")
    loaded = TransformersTextClassifier.from_pretrained(tmp_path / "aspects")
    assert loaded.multi_label_ is True
    np.testing.assert_allclose(loaded.predict_proba(TEXTS[:8]), proba[:8], atol=1e-5)


# ---------------------------------------------------------------------- safety
class _Payload:
    """Unpickling this would create ``marker``: stands in for a malicious checkpoint."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def test_refuses_pickle_only_directory(single: TransformersTextClassifier, tmp_path: Path) -> None:
    out = tmp_path / "bad"
    single.save_pretrained(out)
    marker = tmp_path / "pwned"
    (out / "model.safetensors").unlink()
    (out / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="safetensors"):
        TransformersTextClassifier.from_pretrained(out)
    assert not marker.exists()

    only_bin = tmp_path / "only_bin"
    only_bin.mkdir()
    (only_bin / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError, match="pytorch_model.bin"):
        TransformersTextClassifier.from_pretrained(only_bin)
    # the same rule applies to the checkpoint being fine-tuned
    with pytest.raises(ValueError, match="safetensors"):
        TransformersTextClassifier(str(only_bin), progress=False).fit(TEXTS, LABELS)
    assert not marker.exists()


def test_missing_weights_or_metadata(single: TransformersTextClassifier, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        TransformersTextClassifier.from_pretrained(tmp_path / "nowhere")
    out = tmp_path / "nometa"
    single.save_pretrained(out)
    (out / "voc_component.json").unlink()
    with pytest.raises(FileNotFoundError, match="voc_component.json"):
        TransformersTextClassifier.from_pretrained(out)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_import_is_lazy() -> None:
    r = _run("import sys, voc.models.transformers as m\n"
             "bad = [k for k in ('torch', 'transformers') if k in sys.modules]\n"
             "assert not bad, bad\n"
             "assert m.TransformersTextClassifier.BACKEND == 'transformers'\n")
    assert r.returncode == 0, r.stderr


def test_missing_torch_gives_install_hint() -> None:
    r = _run("import sys\n"
             "sys.modules['torch'] = None\n"
             "from voc.models.transformers import TransformersTextClassifier as T\n"
             "try:\n"
             "    T('x', progress=False).fit(['a', 'b'], ['p', 'n'])\n"
             "except ImportError as e:\n"
             "    print(e)\n")
    assert r.returncode == 0, r.stderr
    assert "pip install 'voc-zh[transformers]'" in r.stdout


def test_registry_backend(single: TransformersTextClassifier) -> None:
    from voc.models.registry import backend_of

    assert backend_of(single) == "transformers"


# ----------------------------------------------------------------- public API
def _need_pipeline() -> None:
    pytest.importorskip("voc.text", reason="voc.text not available yet")


def _same_sentiment(nlp: Any, nlp2: Any, probe: list[str]) -> None:
    for a, b in zip(nlp.pipe(probe), nlp2.pipe(probe), strict=True):
        assert a.sentiment.label == b.sentiment.label
        assert a.sentiment.scores.keys() == b.sentiment.scores.keys()
        for k, v in a.sentiment.scores.items():
            assert b.sentiment.scores[k] == pytest.approx(v, abs=1e-4)


def test_public_api_default_analyzer(tiny: str, tmp_path: Path) -> None:
    _need_pipeline()
    import voc
    from voc.pipeline import DEFAULT_MODEL_DIR

    if not (DEFAULT_MODEL_DIR / "config.json").exists():
        pytest.skip("default model not built yet")
    comp = voc.train("sentiment", (TEXTS, LABELS), backend="transformers", model_name_or_path=tiny, **FAST)
    nlp = voc.load()
    nlp.replace("sentiment", comp)
    nlp.to_disk(tmp_path / "model")
    nlp2 = voc.load(tmp_path / "model")
    assert isinstance(nlp2.components["sentiment"], TransformersTextClassifier)
    _same_sentiment(nlp, nlp2, ["这家店的菜太好吃了", "物流太慢了，差评", "请问什么时候发货"])


def test_public_api_transformers_only_analyzer(tiny: str, tmp_path: Path) -> None:
    """Same round trip without the default model: an analyzer holding only this component."""
    _need_pipeline()
    import voc
    from voc.pipeline import Analyzer

    comp = voc.train("sentiment", (TEXTS, LABELS), backend="transformers", model_name_or_path=tiny, **FAST)
    assert isinstance(comp, TransformersTextClassifier)
    acc = np.mean([p == y for p, y in zip(comp.predict(TEXTS), LABELS, strict=True)])
    assert acc >= 0.8
    nlp = Analyzer({"sentiment": comp})
    nlp.to_disk(tmp_path / "model")
    config = json.loads((tmp_path / "model" / "config.json").read_text(encoding="utf-8"))
    assert config["components"]["sentiment"] == {"backend": "transformers", "dir": "transformers/sentiment"}
    assert _weight_files(tmp_path / "model" / "transformers" / "sentiment") == []
    nlp2 = voc.load(tmp_path / "model")
    _same_sentiment(nlp, nlp2, ["这家店的菜太好吃了", "物流太慢了，差评", "请问什么时候发货"])
    assert nlp2("质量非常好，性价比很高").sentiment.label in {"positive", "negative", "neutral"}
