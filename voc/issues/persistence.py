"""Save and load a fitted :class:`voc.issues.IssueModel`: JSON + ``.npy``, never pickle.

A model folder holds ``issue_model.json`` (parameters, vocabularies, the issues table,
the training assignment) and one ``.npy`` file per array (IDF weights, the LSA
projection, the cluster centres, the training labels), each loaded with
``allow_pickle=False``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from voc.issues.discover import IssueModel

__all__ = ["load_issue_model", "save_issue_model"]

_META = "issue_model.json"
_FORMAT_VERSION = 1
#: Constructor parameters stored as JSON (the tokenizer and embedder are code, not data).
_PARAMS = (
    "n_issues", "n_components", "dims_per_issue", "min_dims", "k_candidates", "sample_size", "selection_size",
    "n_init", "minibatch_above", "n_threads", "n_keywords", "n_examples", "random_state", "max_features",
    "synonyms", "generic_words", "other_below", "k_tolerance",
    "k_selection", "stability_pairs", "stability_size", "min_silhouette_share",
)
_ARRAYS = ("centers_", "order_", "labels_", "similarity_", "topical_")


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def _frame_json(df: pd.DataFrame | None) -> dict[str, Any] | None:
    if df is None:
        return None
    out = df.copy()
    dt = [str(c) for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c])]
    for c in dt:
        out[c] = out[c].map(lambda t: None if pd.isna(t) else t.isoformat())
    rec = json.loads(out.to_json(orient="split", force_ascii=False, date_format="iso", default_handler=str))
    rec["index"] = [_jsonable(i) for i in out.index]
    rec["datetime_columns"] = dt
    return rec


def _frame_from(rec: dict[str, Any] | None) -> pd.DataFrame | None:
    if rec is None:
        return None
    df = pd.DataFrame(rec["data"], columns=rec["columns"], index=rec["index"])
    for c in rec.get("datetime_columns", []):
        df[c] = pd.to_datetime(df[c], format="ISO8601")
    return df


def _vectorizer_state(vec: Any) -> dict[str, Any] | None:
    if vec is None:
        return None
    vocab = vec.vocabulary_
    terms = [""] * len(vocab)
    for t, i in vocab.items():
        terms[int(i)] = str(t)
    return {"terms": terms}


def save_issue_model(model: IssueModel, path: str | Path) -> Path:
    """Write a fitted model to the folder ``path`` (created); see the module docstring.

    Raises:
        ValueError: The model is not fitted or uses an ``embedder`` (code that cannot be saved).
    """
    from voc._write import atomic_write

    if not hasattr(model, "centers_"):
        raise ValueError("IssueModel.to_disk: the model is not fitted; call fit() first")
    if model.embedder is not None:
        raise ValueError("IssueModel.to_disk: a model with an embedder cannot be saved (code, not data)")
    if model.tokenizer is not None:
        warnings.warn("IssueModel.to_disk: the custom tokenizer is not saved; from_disk uses the default one",
                      UserWarning, stacklevel=3)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    space = model.space_
    arrays: dict[str, np.ndarray] = {name: np.asarray(getattr(model, name)) for name in _ARRAYS}
    arrays["chars_idf"] = np.asarray(space.chars_.idf_)
    if space.words_ is not None:
        arrays["words_idf"] = np.asarray(space.words_.idf_)
    if model.svd_ is not None:
        arrays["svd_components"] = np.asarray(model.svd_.components_)
    for name, arr in arrays.items():
        atomic_write(folder / f"{name}.npy", lambda p, a=arr: np.save(p, a, allow_pickle=False))
    meta = {
        "format_version": _FORMAT_VERSION,
        "params": {k: _jsonable(getattr(model, k)) for k in _PARAMS},
        "space": {
            "char_ngrams": list(space.char_ngrams),
            "max_features": space.max_features,
            "min_df": space.min_df,
            "word_weight": space.word_weight,
            "chars": _vectorizer_state(space.chars_),
            "words": _vectorizer_state(space.words_),
        },
        "fitted": {
            "dims_": int(model.dims_),
            "n_issues_": int(model.n_issues_),
            "has_other_": bool(model.has_other_),
            "silhouette_": {str(k): float(v) for k, v in model.silhouette_.items()},
            "stability_": {str(k): float(v) for k, v in getattr(model, "stability_", {}).items()},
            "stability_se_": {str(k): float(v) for k, v in getattr(model, "stability_se_", {}).items()},
            "fit_seconds_": float(model.fit_seconds_),
            "arrays": sorted(arrays),
        },
        "issues_": _frame_json(model.issues_),
        "assignment_": _frame_json(getattr(model, "assignment_", None)),
    }
    text = json.dumps(meta, ensure_ascii=False)
    atomic_write(folder / _META, lambda p: p.write_text(text, encoding="utf-8"))
    return folder


def _vectorizer(kind: str, state: dict[str, Any], space: dict[str, Any], idf: np.ndarray) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from voc.issues.space import _clean, _identity

    vocab = {t: i for i, t in enumerate(state["terms"])}
    if kind == "chars":
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(space["char_ngrams"]), preprocessor=_clean,
                              sublinear_tf=True, dtype=np.float32, vocabulary=vocab)
    else:
        vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32, vocabulary=vocab)
    vec._validate_vocabulary()
    vec.idf_ = idf
    return vec


def load_issue_model(path: str | Path, tokenizer: Any = None) -> IssueModel:
    """Read a model written by :func:`save_issue_model` (no pickle: ``allow_pickle=False``).

    Raises:
        ValueError: Not a saved model, a missing array or an unknown format version.
    """
    from sklearn.decomposition import TruncatedSVD

    from voc._write import read_saved_meta
    from voc.issues.discover import IssueModel
    from voc.issues.space import TextSpace
    from voc.issues.vocab import TextNormalizer

    folder = Path(path)
    meta_path = folder / _META
    meta = read_saved_meta(folder, _META, "IssueModel", _FORMAT_VERSION)
    fitted = meta["fitted"]
    arrays = {}
    for name in fitted["arrays"]:
        file = folder / f"{name}.npy"
        if not file.is_file():
            raise ValueError(f"{meta_path}: missing array file {file.name}")
        arrays[name] = np.load(file, allow_pickle=False)
    params = dict(meta["params"])
    if params.get("synonyms") is not None:
        params["synonyms"] = {k: tuple(v) for k, v in params["synonyms"].items()}
    model = IssueModel(tokenizer=tokenizer, **params)
    sp_meta = meta["space"]
    space = TextSpace(tokenizer, char_ngrams=tuple(sp_meta["char_ngrams"]), max_features=sp_meta["max_features"],
                      min_df=sp_meta["min_df"], word_weight=sp_meta["word_weight"],
                      normalizer=TextNormalizer(model.synonyms, model.generic_words))
    space.chars_ = _vectorizer("chars", sp_meta["chars"], sp_meta, arrays.pop("chars_idf"))
    words = sp_meta["words"]
    space.words_ = None if words is None else _vectorizer("words", words, sp_meta, arrays.pop("words_idf"))
    model.space_ = space
    comps = arrays.pop("svd_components", None)
    if comps is None:
        model.svd_ = None
    else:
        svd = TruncatedSVD(n_components=comps.shape[0])
        svd.components_ = comps
        svd.n_features_in_ = comps.shape[1]
        model.svd_ = svd
    for name in _ARRAYS:
        setattr(model, name, arrays[name])
    model.dims_ = fitted["dims_"]
    model.n_issues_ = fitted["n_issues_"]
    model.has_other_ = fitted["has_other_"]
    model.silhouette_ = {int(k): v for k, v in fitted["silhouette_"].items()}
    model.stability_ = {int(k): v for k, v in fitted.get("stability_", {}).items()}  # absent before 0.2
    model.stability_se_ = {int(k): v for k, v in fitted.get("stability_se_", {}).items()}
    model.fit_seconds_ = fitted["fit_seconds_"]
    model.issues_ = _frame_from(meta["issues_"])
    model.assignment_ = _frame_from(meta["assignment_"])
    return model
