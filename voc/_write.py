"""Safe output files: atomic writes, no overwriting of inputs, spreadsheet-safe cells.

Every file ``voc`` writes for a user (``voc analyze`` tables, customer tables, the HTML
report and its charts, JSON metrics) goes through :func:`atomic_write`: the data is
written to a temporary file in the same folder and renamed over the target only when
complete, so an interrupted run leaves either the old file or nothing, never a
truncated one. :func:`refuse_input_overwrite` and :func:`check_output_path` run
before any work is done.

Spreadsheet cells (CSV, Excel) that start with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return are formulas to Excel/LibreOffice (CSV injection, OWASP): by default
they are written with a leading ``'`` (:func:`escape_formula`), which spreadsheet
programs show as text.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "FORMULA_PREFIXES",
    "atomic_write",
    "check_output_path",
    "escape_formula",
    "excel_safe",
    "read_saved_meta",
    "refuse_input_overwrite",
    "same_file",
]

#: First characters that make a spreadsheet cell a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters an .xlsx cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_XLSX_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Write a file atomically: ``write(tmp)`` then rename ``tmp`` to ``path``.

    The temporary file sits in the same folder (so the rename is atomic) and keeps the
    suffix of ``path`` (writers that choose the format by extension still work). On any
    error the temporary file is removed and the error re-raised; ``path`` is untouched.

    Args:
        path: The target file. Missing parent folders are created.
        write: Writes the complete content to the path it is given.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> atomic_write(d / "a.txt", lambda p: p.write_text("ok")).read_text()
        'ok'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def same_file(a: str | Path, b: str | Path) -> bool:
    """True if two paths name the same file (symlinks and ``..`` resolved)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def refuse_input_overwrite(output: str | Path, inputs: Iterable[str | Path | None]) -> None:
    """Raise ``ValueError`` if ``output`` is one of the ``inputs``.

    Raises:
        ValueError: With a one-line message naming the file.
    """
    for src in inputs:
        if src is not None and same_file(output, src):
            raise ValueError(f"{output}: is an input file; refusing to overwrite it (choose another -o)")


def check_output_path(path: str | Path) -> None:
    """Check, before any work, that ``path`` can be written (folders may be created).

    Raises:
        ValueError: ``path`` is a folder, or the nearest existing parent is a file or not
            writable.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{path}: is a folder; give a file name")
    parent = p.parent
    while not parent.exists():
        if parent == parent.parent:
            break
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise ValueError(f"{path}: cannot create the folder: {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{path}: folder {parent} is not writable")


def escape_formula(value: Any) -> Any:
    """Neutralise a spreadsheet formula: a ``str`` starting like one gets a leading ``'``.

    Examples:
        >>> escape_formula("=HYPERLINK(\\"http://x\\")"), escape_formula("好评"), escape_formula(-3)
        ('\\'=HYPERLINK("http://x")', '好评', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def excel_safe(value: Any) -> Any:
    """Replace characters an ``.xlsx`` cell cannot hold by U+FFFD (strings only)."""
    if isinstance(value, str) and _XLSX_ILLEGAL_RE.search(value) is not None:
        return _XLSX_ILLEGAL_RE.sub("\ufffd", value)
    return value


def read_saved_meta(folder: str | Path, name: str, kind: str, version: int) -> dict[str, Any]:
    """The JSON description ``folder/name`` of a saved object (``to_disk``), version checked.

    Args:
        folder: The saved folder.
        name: Its JSON file (e.g. ``history.json``).
        kind: What was saved, for the messages (``"History"``).
        version: The supported ``format_version``.

    Raises:
        ValueError: No such file, or another format version.
    """
    import json

    path = Path(folder) / name
    if not path.is_file():
        raise ValueError(f"{folder}: not a saved {kind} (no {name})")
    meta = json.loads(path.read_text(encoding="utf-8"))
    if meta.get("format_version") != version:
        raise ValueError(f"{folder}: {kind} format {meta.get('format_version')!r} is not supported")
    return meta
