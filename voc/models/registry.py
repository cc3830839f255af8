"""Save and load task components by backend name (the table that maps backends to modules).

Only safe formats are written and read: JSON + safetensors for
scikit-learn, safetensors for transformers, plain JSON for SnowNLP settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["save_components", "load_components", "backend_of"]

SKLEARN_FILE = "sklearn"


def backend_of(component: Any) -> str:
    """The backend name of a component (``sklearn``, ``transformers`` or ``snownlp``)."""
    name = getattr(component, "backend", None) or getattr(type(component), "BACKEND", None)
    if name:
        return str(name)
    module = type(component).__module__
    for key in ("sklearn", "transformers", "snownlp"):
        if module.endswith(key):
            return key
    raise TypeError(f"cannot save component of type {type(component).__name__}: unknown backend")


def save_components(components: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """Write every component under ``path``; returns the ``components`` section of config.json."""
    from voc.models import sklearn as sk

    config: dict[str, dict[str, Any]] = {}
    sklearn_group = {}
    for task, comp in components.items():
        backend = backend_of(comp)
        if backend == "sklearn":
            sklearn_group[task] = comp
            config[task] = {"backend": "sklearn", "file": SKLEARN_FILE}
        elif backend == "transformers":
            sub = Path("transformers") / task
            comp.save_pretrained(path / sub)
            config[task] = {"backend": "transformers", "dir": sub.as_posix()}
        elif backend == "snownlp":
            config[task] = {"backend": "snownlp", **comp.get_params()}
        else:  # pragma: no cover - backend_of already raised
            raise TypeError(backend)
    if sklearn_group:
        sk.save_group(path / SKLEARN_FILE, sklearn_group)
    return config


def load_components(config: dict[str, dict[str, Any]], path: Path) -> dict[str, Any]:
    """Inverse of :func:`save_components`."""
    out: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for task, spec in config.items():
        backend = spec.get("backend")
        if backend == "sklearn":
            file = _inside(path, spec["file"])
            if file not in groups:
                from voc.models import sklearn as sk

                groups[file] = sk.load_group(path / file)
            out[task] = groups[file][task]
        elif backend == "transformers":
            from voc.models.transformers import TransformersTextClassifier

            out[task] = TransformersTextClassifier.from_pretrained(path / _inside(path, spec["dir"]))
        elif backend == "snownlp":
            from voc.models.snownlp import SnowNLPSentiment

            params = {k: v for k, v in spec.items() if k != "backend"}
            out[task] = SnowNLPSentiment(**params)
        else:
            raise ValueError(f"task {task!r}: unknown backend {backend!r}")
    return out


def _inside(root: Path, rel: str) -> str:
    """Reject paths that escape the model directory (``..``, absolute paths)."""
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts:
        raise ValueError(f"model file path {rel!r} escapes the model directory")
    return p.as_posix()
