"""The README's commands are the ones CI runs; the public names all resolve."""

from __future__ import annotations

import re
from pathlib import Path

import voc

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_test_command_is_what_ci_runs():
    blocks = _bash_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    install_and_demo, install_and_test = blocks[0], blocks[1]
    assert "constraints.txt" in install_and_demo and "voc demo" in install_and_demo
    assert "constraints.txt" in install_and_test and "pytest" in install_and_test
    assert install_and_test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_constraints_pin_cpu_torch():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()


def test_public_names_resolve():
    for name in voc.__all__:
        assert getattr(voc, name) is not None, name
