"""Speed work (#16) must not change any output, and loading must stay light.

``tests/data/parity_reference.json.xz`` holds ``Result.to_json()`` of every text of the
authored (``voc_zh``) and real (``voc_real_zh``) test splits, produced by the code *before*
the speed work with the shipped models. The current code must reproduce every field
(floats to 1e-9). When the shipped model files change (retraining), the reference no longer
applies and the comparison is skipped: regenerate it with
``python benchmarks/make_parity_reference.py`` from the code before the change being checked.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import math
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

import voc
from voc.pipeline import DEFAULT_MODEL_DIR

REFERENCE = Path(__file__).parent / "data" / "parity_reference.json.xz"
ROOT = Path(__file__).resolve().parents[1]


def model_fingerprint(model_dir: Path = DEFAULT_MODEL_DIR) -> str:
    """SHA-256 over the names and bytes of the shipped model files."""
    h = hashlib.sha256()
    for p in sorted(Path(model_dir).iterdir()):
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _reference() -> dict[str, Any]:
    with lzma.open(REFERENCE, "rb") as fh:
        return json.loads(fh.read())


def _diff(a: Any, b: Any, path: str = "") -> str | None:
    """First difference between two JSON values (floats compared to 1e-9), or None."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=0, abs_tol=1e-9):
            return None
        return f"{path}: {a!r} != {b!r}"
    if type(a) is not type(b):
        return f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            d = _diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def _normalised(record: dict[str, Any]) -> dict[str, Any]:
    """A to_json record as stored in the reference (JSON round trip, sorted keys)."""
    return json.loads(json.dumps(record, ensure_ascii=False, sort_keys=True))


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    ref = _reference()
    if ref["model_sha256"] != model_fingerprint():
        pytest.skip("the shipped model files changed since the parity reference was made; "
                    "regenerate it with benchmarks/make_parity_reference.py")
    return ref


@pytest.fixture(scope="module")
def nlp() -> voc.Analyzer:
    return voc.load()


def _inputs(reference: dict[str, Any], corpus: str) -> list[str]:
    """The texts the reference was made from (older references: the corpus's test split)."""
    if f"{corpus}:input" in reference:
        return reference[f"{corpus}:input"]
    from voc.datasets import load_frame

    return load_frame(corpus, split="test", validate=False)["text"].tolist()


@pytest.mark.parametrize("corpus", ["voc_zh", "voc_real_zh"])
def test_pipe_reproduces_reference(reference: dict[str, Any], nlp: voc.Analyzer, corpus: str) -> None:
    expected = reference[corpus]
    texts = _inputs(reference, corpus)
    assert len(texts) == len(expected)
    bad = []
    for i, r in enumerate(nlp.pipe(texts)):
        d = _diff(expected[i], _normalised(r.to_json()), f"{corpus}[{i}]")
        if d:
            bad.append(d)
    assert not bad, f"{len(bad)} of {len(texts)} outputs differ; first: {bad[:3]}"


def test_single_text_calls_reproduce_reference(reference: dict[str, Any], nlp: voc.Analyzer) -> None:
    """``nlp(text)`` (one text per batch) gives the same records as batched ``pipe``."""
    texts = _inputs(reference, "voc_real_zh")[::10]
    expected = reference["voc_real_zh"][::10]
    bad = [d for i, t in enumerate(texts)
           if (d := _diff(expected[i], _normalised(nlp(t).to_json()), f"[{i * 10}]"))]
    assert not bad, bad[:3]


def test_flat_records_read_from_the_batch_equal_those_of_the_filled_objects(reference: dict[str, Any],
                                                                            nlp: voc.Analyzer) -> None:
    """``to_dict`` of a result not yet filled (read straight from the batch) equals ``to_dict`` after
    ``materialize()`` (from the Prediction / Label objects), on every text of the real corpus."""
    texts = [*_inputs(reference, "voc_real_zh"), None, "", "\u200b"]
    lazy = [r.to_dict() for r in nlp.pipe(texts)]
    filled = [r.materialize().to_dict() for r in nlp.pipe(texts)]
    assert lazy == filled


def test_diff_detects_changes() -> None:
    rec = {"a": 0.5, "b": [{"c": "x"}]}
    assert _diff(rec, {"a": 0.5 + 1e-12, "b": [{"c": "x"}]}) is None
    assert _diff(rec, {"a": 0.5 + 1e-6, "b": [{"c": "x"}]})
    assert _diff(rec, {"a": 0.5, "b": [{"c": "y"}]})
    assert _diff(rec, {"a": 0.5, "b": []})


def test_load_does_not_import_sklearn() -> None:
    """Prediction with the shipped models needs numpy only: scikit-learn is imported for training."""
    code = ("import sys, voc; nlp = voc.load(); r = nlp('客服电话一直打不通，算了不投诉了'); "
            "list(nlp.pipe(['物流太慢了', '很好吃'])); r.to_json(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout[:300]


def test_cue_scanner_matches_plain_alternation() -> None:
    """Trying cues only where their first character occurs finds exactly what ``finditer`` finds."""
    import random

    from voc.lexicon import Cue, Lexicon

    lex = Lexicon.default()
    extra = Lexicon([Cue("t", "a", r"(再|如果)?[A-C]\d{2}", 1.0), Cue("t", "b", r"\bab|(?<=x)Kc", 1.0),
                     Cue("t", "c", r"k+|ß", 1.0)])
    assert all(lex._scanners[t] is not None for t in lex.tasks)  # the shipped table is scanned fast
    assert extra._scanners["t"] is not None
    rng = random.Random(0)
    alphabet = "".join({c for cue in lex.cues for c in cue.pattern if c.isalnum() or ord(c) > 0x2000}) + \
        "abcKkßSſ如果再12 xA，。"
    for lexicon in (lex, extra):
        for _ in range(300):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
            for task, (regex, _rows) in lexicon._compiled.items():
                plain = [(m.start(), m.end(), m.lastgroup) for m in regex.finditer(text)]
                fast = [(m.start(), m.end(), m.lastgroup) for m in lexicon._scanners[task].finditer(text)]
                assert fast == plain, (task, text)


def test_cue_scanner_falls_back_when_first_char_is_open() -> None:
    from voc.lexicon import Cue, Lexicon

    lex = Lexicon([Cue("t", "a", r"好.{0,2}吃", 1.0), Cue("t", "b", r"\w+了", 1.0)])
    assert lex._scanners["t"] is None
    assert [m.text for m in lex.match_task("t", "真好吃了")] == ["真好吃了"]
