"""Reading tables: one reader (CSV / TSV / JSONL / JSON / Parquet / Excel) for every part of voc.

:func:`read_frame` is used by :meth:`voc.History.read`, the command line (``voc.cli.read_table``
turns its errors into one-line exits), the HTML report and :mod:`voc.solutions`.
:func:`detect_encoding` chooses the codec of a CSV / TSV file: UTF-16 with a BOM, UTF-8 (with or
without BOM), then GB18030; Big5 / Shift-JIS bytes are refused with the codec to pass.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

__all__ = ["READERS", "detect_encoding", "read_frame"]

#: File extensions :func:`read_frame` reads.
READERS = {".csv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls", ".tsv"}


def _check_decodes(path: Path, codec: str) -> None:
    """Decode the whole file in 1 MB chunks (nothing kept); ``UnicodeDecodeError`` if it fails."""
    decoder = codecs.getincrementaldecoder(codec)()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
    decoder.decode(b"", final=True)


def detect_encoding(path: str | Path, encoding: str | None = None) -> str:
    """The encoding to read a CSV/TSV file with.

    ``encoding`` if given (checked), else: UTF-16 with a BOM, UTF-8 (with or without
    BOM), then GB18030 (GBK and GB2312 are subsets; the usual Excel export on Chinese
    Windows). The file is streamed, never held in memory. GB18030 that looks like Big5
    or Shift-JIS bytes (:func:`voc._input.guess_legacy_encoding` on the first 256 kB) is
    refused.

    Raises:
        ValueError: One line naming the file and the ``--encoding`` to use.
    """
    from voc._input import guess_legacy_encoding

    p = Path(path)
    if encoding is not None:
        try:
            _check_decodes(p, encoding)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not {encoding} ({e.reason} near byte {e.start}); check --encoding") from None
        return encoding
    with open(p, "rb") as fh:
        head = fh.read(1 << 18)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for codec in ("utf-8-sig", "gb18030"):
        try:
            _check_decodes(p, codec)
        except UnicodeDecodeError:
            continue
        if codec == "gb18030":
            sample = head if len(head) < 1 << 18 else head[: head.rfind(b"\n") + 1] or head
            guess = guess_legacy_encoding(sample)
            if guess is not None:
                hint = {"Big5": "big5", "Shift-JIS": "shift_jis"}.get(guess)
                looks = f"looks like {guess}" if hint else "does not look like UTF-8 or GB18030"
                raise ValueError(f"{path}: {looks}; pass --encoding {hint or 'CODEC'}")
        return codec
    raise ValueError(f"{path}: neither UTF-8 nor GB18030; pass --encoding (e.g. --encoding big5)")


def read_frame(path: str | Path, encoding: str | None = None, *, dtype: Any = None) -> Any:
    """Read a table by extension.

    Args:
        path: A ``.csv`` / ``.tsv`` (decoded with ``encoding``, else :func:`detect_encoding`),
            ``.jsonl`` / ``.json``, ``.parquet`` or ``.xlsx`` / ``.xls`` file.
        encoding: Codec of a CSV / TSV file.
        dtype: Passed to the pandas reader (e.g. ``{"customer_id": str}``; not for Parquet).

    Returns:
        The DataFrame.

    Raises:
        ValueError: One line naming the file: unsupported type, no such file, undecodable or
            unreadable content.
    """
    import pandas as pd

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in READERS:
        raise ValueError(f"{path}: unsupported file type {suffix!r} (use one of {sorted(READERS)})")
    if not p.is_file():
        raise ValueError(f"{path}: no such file")
    if suffix in (".csv", ".tsv"):
        codec = detect_encoding(p, encoding)  # its ValueError already names the file and the fix
    try:
        if suffix in (".csv", ".tsv"):
            return pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", encoding=codec, dtype=dtype)
        if suffix in (".jsonl", ".json"):
            return pd.read_json(p, lines=suffix == ".jsonl", dtype=dtype)
        if suffix == ".parquet":
            return pd.read_parquet(p)
        return pd.read_excel(p, dtype=dtype)
    except Exception as e:  # noqa: BLE001 - any reader failure becomes one line
        first = str(e).splitlines()[0] if str(e) else ""
        raise ValueError(f"{path}: could not read: {type(e).__name__}: {first}") from e
