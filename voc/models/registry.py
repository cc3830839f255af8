"""Save and load task components by backend name (the table that maps backends to modules).

Only safe formats are written and read: JSON + safetensors for
scikit-learn, safetensors for transformers, plain JSON for SnowNLP settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["save_components", "load_components", "backend_of", "resolve_inside"]

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
    """Inverse of :func:`save_components`.

    Raises:
        ValueError: Unknown backend, a malformed spec or model file, or a file that
            resolves (symlinks followed) outside ``path``.
    """
    out: dict[str, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for task, spec in config.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: component {task!r} must be an object, got {type(spec).__name__}")
        backend = spec.get("backend")
        if backend == "sklearn":
            file = _inside(path, _field(path, task, spec, "file"))
            if file not in groups:
                from voc.models import sklearn as sk

                for suffix in (".json", ".safetensors"):
                    resolve_inside(path, Path(file).with_suffix(suffix).as_posix())
                groups[file] = sk.load_group(path / file)
            if task not in groups[file]:
                raise ValueError(f"{path / file}: no model for task {task!r}")
            out[task] = groups[file][task]
        elif backend == "transformers":
            from voc.models.transformers import TransformersTextClassifier

            sub = _inside(path, _field(path, task, spec, "dir"))
            for f in [path / sub, *(path / sub).rglob("*")]:
                resolve_inside(path, f.relative_to(path).as_posix())
            out[task] = TransformersTextClassifier.from_pretrained(path / sub)
        elif backend == "snownlp":
            from voc.models.snownlp import SnowNLPSentiment

            params = {k: v for k, v in spec.items() if k != "backend"}
            try:
                out[task] = SnowNLPSentiment(**params)
            except TypeError as e:
                raise ValueError(f"{path}: bad snownlp settings for {task!r} ({e})") from e
        else:
            raise ValueError(f"task {task!r}: unknown backend {backend!r}")
    return out


def _field(path: Path, task: str, spec: dict[str, Any], key: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{path}: component {task!r} needs a {key!r} string, got {value!r}")
    return value


def _inside(root: Path, rel: str) -> str:
    """Reject paths that escape the model directory (``..``, absolute paths, symlinks pointing out)."""
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts:
        raise ValueError(f"model file path {rel!r} escapes the model directory")
    resolve_inside(root, rel)
    return p.as_posix()


def resolve_inside(root: str | Path, rel: str | Path) -> Path:
    """``root / rel`` with symlinks resolved, refusing anything that ends up outside ``root``.

    Args:
        root: The model directory (may itself be a symlink).
        rel: A path relative to ``root``.

    Returns:
        The resolved path.

    Raises:
        ValueError: The path escapes ``root`` (``..``, an absolute path, or a symlink pointing out).
    """
    base = Path(root).resolve()
    target = (Path(root) / rel).resolve()
    if not target.is_relative_to(base):
        raise ValueError(f"{Path(root) / rel}: resolves to {target}, outside the model directory {base}; "
                         "copy the file into the model directory instead of linking to it")
    return target
