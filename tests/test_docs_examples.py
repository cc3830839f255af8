"""Every ```python block of README.md and docs/*.md runs as written.

A block that cannot run in the test suite is preceded by ``<!-- skip: <reason> -->`` (on the
line right before its opening fence); the reason is required. Each block runs in a fresh
namespace, in a scratch directory that mirrors the repository root (so relative paths such as
``tests/`` resolve, and files the examples write do not land in the checkout).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"(?:<!--[ \t]*skip:[ \t]*([^\n]*?)[ \t]*-->[ \t]*\n)?```python\n(.*?)```", re.S)
#: Pages whose examples need an optional extra: (module to import or skip, pytest mark).
NEEDS = {"docs/transformers.md": ("torch", pytest.mark.transformers)}


def blocks(text: str) -> list[tuple[str | None, str]]:
    """``(skip reason or None, code)`` for every python block of a Markdown text."""
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(text)]


def _pages() -> list[str]:
    pages = ["README.md", *(f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md")))]
    return [p for p in pages if "```python" in (ROOT / p).read_text(encoding="utf-8")]


PAGES = _pages()


def test_skip_marker_parsing() -> None:
    text = ("intro\n```python\nprint(1)\n```\n<!-- skip: needs a GPU -->\n```python\nboom()\n```\n"
            "<!-- skip: -->\n```python\nx = 1\n```\n")
    assert blocks(text) == [(None, "print(1)\n"), ("needs a GPU", "boom()\n"), ("", "x = 1\n")]


def test_every_page_with_python_is_checked() -> None:
    assert "README.md" in PAGES and "docs/labelling.md" in PAGES
    for page in PAGES:
        for reason, _ in blocks((ROOT / page).read_text(encoding="utf-8")):
            assert reason is None or reason.strip(), f"{page}: a skip marker needs a reason"
    readme = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme and all(reason is None for reason, _ in readme), "README examples must all run"


def _mirror(tmp: Path) -> None:
    for entry in ROOT.iterdir():
        if entry.name != ".git" and not (tmp / entry.name).exists():
            (tmp / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())


@pytest.mark.parametrize("page", [pytest.param(p, marks=NEEDS[p][1]) if p in NEEDS else p for p in PAGES])
def test_python_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    if page in NEEDS:
        pytest.importorskip(NEEDS[page][0])
    found = blocks((ROOT / page).read_text(encoding="utf-8"))
    runnable = [code for reason, code in found if reason is None]
    if not runnable:
        pytest.skip(f"every python block of {page} is marked skip: " + "; ".join(r for r, _ in found if r))
    _mirror(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "path", list(sys.path))
    for k, code in enumerate(runnable):
        try:
            exec(compile(code, f"{page}[{k}]", "exec"), {"__name__": "__doc_example__"})
        except Exception as e:  # noqa: BLE001 - report which block failed
            pytest.fail(f"{page} runnable block {k} failed: {type(e).__name__}: {e}")
    if page in ("README.md", "docs/labelling.md"):
        assert capsys.readouterr().out.strip(), "the examples print their results"
