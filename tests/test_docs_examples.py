"""Every ```python block of the documentation pages listed here runs as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Pages whose Python examples must run (each block in a fresh namespace, from the repository root).
PAGES = ["docs/labelling.md"]


def _blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("page", PAGES)
def test_python_examples_run(page: str, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = _blocks(page)
    assert blocks, f"{page} has no python example"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for k, code in enumerate(blocks):
            try:
                exec(compile(code, f"{page}[{k}]", "exec"), {"__name__": "__doc_example__"})
            except Exception as e:  # noqa: BLE001 - report which block failed
                pytest.fail(f"{page} block {k} failed: {type(e).__name__}: {e}")
    finally:
        os.chdir(cwd)
    assert capsys.readouterr().out.strip(), "the examples print their results"
