"""Saving and loading a :class:`~voc.churn.model.ChurnModel` without pickle.

A model directory holds ``churn_model.json`` (parameters, feature names, scores),
``churn_model.safetensors`` (arrays; ``.npz`` without safetensors) and, for
gradient boosting, ``churn_gbm.skops``, loaded back with an explicit allow-list
of types (:data:`SKOPS_TRUSTED`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from voc.churn.model import ChurnModel

MODEL_FORMAT = "voc-churn-1"
_JSON_NAME = "churn_model.json"
_ARRAYS_NAME = "churn_model.safetensors"
_NPZ_NAME = "churn_model.npz"
_GBM_NAME = "churn_gbm.skops"
#: The only types (besides skops' defaults: numpy, builtins, scikit-learn estimators) a saved
#: gradient boosting model may contain; anything else makes :meth:`ChurnModel.from_disk` refuse the file.
SKOPS_TRUSTED: tuple[str, ...] = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)


def _save_model(model: ChurnModel, path: str | Path) -> Path:
    """Write a fitted ``model`` to the directory ``path`` (see :meth:`ChurnModel.save`).

    Args:
        model: A fitted :class:`~voc.churn.model.ChurnModel`.
        path: Target directory (created when missing).

    Returns:
        The directory.
    """
    d = Path(path)
    d.mkdir(parents=True, exist_ok=True)
    arrays = {
        "fill": np.asarray(model.fill_, dtype=float),
        "importances": model.feature_importances_.to_numpy(dtype=float),
    }
    if model.kind_ == "logistic":
        arrays.update(mean=model.mean_, scale=model.scale_, coef=model.coef_, intercept=model.intercept_)
    else:
        import skops.io as sio

        sio.dump(model.estimator_, d / _GBM_NAME)
    params = model.get_params(deep=False)
    if params.get("features") is not None:
        params["features"] = list(params["features"])
    meta = {
        "format": MODEL_FORMAT,
        "kind": model.kind_,
        "params": params,
        "features": [str(f) for f in model.feature_names_in_],
        "validation_scores": model.validation_scores_,
        "metadata": getattr(model, "metadata_", {}),
    }
    arrays = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}
    try:
        from safetensors.numpy import save_file
    except ImportError:  # pragma: no cover - safetensors is a dependency of voc
        np.savez(d / _NPZ_NAME, **arrays)
        meta["arrays"] = _NPZ_NAME
    else:
        save_file(arrays, str(d / _ARRAYS_NAME))
        meta["arrays"] = _ARRAYS_NAME
    (d / _JSON_NAME).write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return d


def _load_model(cls: type[ChurnModel], path: str | Path) -> ChurnModel:
    """Read a model written by :func:`_save_model` (see :meth:`ChurnModel.from_disk`).

    Args:
        cls: The model class to instantiate.
        path: The model directory.

    Returns:
        The fitted model.

    Raises:
        ValueError: The directory does not hold a voc churn model, or the
            gradient boosting file contains types outside :data:`SKOPS_TRUSTED`.
    """
    d = Path(path)
    json_path = _inside(d, _JSON_NAME)
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{d}: not a voc churn model ({type(e).__name__}: {e})") from e
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{d}: not a voc churn model (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    arrays_name = meta.get("arrays", _ARRAYS_NAME)
    if not isinstance(arrays_name, str) or not arrays_name:
        raise ValueError(f"{d}: 'arrays' in {_JSON_NAME} must be a file name, got {arrays_name!r}")
    arrays = _load_arrays(_inside(d, arrays_name))
    try:
        m = _build(cls, meta, arrays)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
        raise ValueError(f"{json_path}: malformed voc churn model ({type(e).__name__}: {e})") from e
    if m.kind_ == "logistic":
        m.estimator_ = None
    elif m.kind_ == "gbm":
        m.estimator_ = _load_gbm(_inside(d, _GBM_NAME))
    else:
        raise ValueError(f"{d}: unknown model kind {m.kind_!r}")
    return m


def _build(cls: type[ChurnModel], meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ChurnModel:
    """The model described by ``meta`` and ``arrays`` (missing keys and wrong types raise)."""
    params = dict(meta["params"])
    if params.get("features") is not None:
        params["features"] = tuple(params["features"])
    features = meta["features"]
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise TypeError("'features' must be a list of names")
    m = cls(**params)
    m.kind_ = meta["kind"]
    m.feature_names_in_ = np.asarray(features, dtype=object)
    m.n_features_in_ = len(m.feature_names_in_)
    m.fill_ = arrays["fill"]
    m.classes_ = np.array([0, 1])
    m.validation_scores_ = {str(k): float(v) for k, v in dict(meta.get("validation_scores") or {}).items()}
    m.feature_importances_ = pd.Series(arrays["importances"], index=list(features), name="importance")
    m.metadata_ = dict(meta.get("metadata") or {})
    if m.kind_ == "logistic":
        m.mean_, m.scale_ = arrays["mean"], arrays["scale"]
        m.coef_, m.intercept_ = arrays["coef"], arrays["intercept"]
    return m


def _inside(d: Path, name: str) -> Path:
    """``d / name``, refusing names that escape ``d`` (``..``, absolute, symlinks pointing out)."""
    if Path(name).is_absolute() or ".." in Path(name).parts:
        raise ValueError(f"{d}: model file name {name!r} escapes the model directory")
    target = (d / name).resolve()
    if not target.is_relative_to(d.resolve()):
        raise ValueError(f"{d / name}: resolves to {target}, outside the model directory {d.resolve()}; "
                         "copy the file into the model directory instead of linking to it")
    return d / name


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: np.asarray(z[k]) for k in z.files}
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            return load_file(str(path))
        except SafetensorError as e:
            raise ValueError(f"{path}: not a safetensors file ({e})") from e
    except (OSError, ValueError) as e:
        raise ValueError(f"{path.parent}: not a voc churn model ({type(e).__name__}: {e})") from e


def _load_gbm(path: Path) -> Any:
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as e:  # noqa: BLE001 - any parse failure means "not our file"
        raise ValueError(f"{path}: not a skops file ({type(e).__name__}: {e})") from e
    extra = sorted(set(untrusted) - set(SKOPS_TRUSTED))
    if extra:
        raise ValueError(f"{path}: refusing to load types outside the allow-list: {extra}")
    est = sio.load(path, trusted=sorted(set(untrusted)))
    if not isinstance(est, HistGradientBoostingClassifier):
        raise ValueError(f"{path}: expected a HistGradientBoostingClassifier, got {type(est).__name__}")
    return est
