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


# ---------------------------------------------------------------- distribution name (issue #15)

def _dist_name_and_extras() -> tuple[str, set[str]]:
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg["metadata"]["name"], set(cfg["options.extras_require"])


def _install_texts() -> dict[str, str]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "notebooks").glob("*.ipynb")),
             *sorted((ROOT / "voc").rglob("*.py")), *sorted((ROOT / "benchmarks").glob("*.py"))]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}


#: ``pip install [options] <name>[<extras>]`` with the name optionally quoted; "." is a checkout.
_REQ = re.compile(r"""pip install\s+(?:-\S+\s+(?:constraints\.txt\s+)?)*['"]?([A-Za-z0-9_.\-]+)\[([\w,\- ]+)\]""")


def test_every_install_line_uses_the_distribution_name():
    name, extras = _dist_name_and_extras()
    assert name != "voc", "the PyPI name 'voc' belongs to another project"
    seen = 0
    for path, text in _install_texts().items():
        for m in _REQ.finditer(text):
            seen += 1
            assert m.group(1) in (name, "."), f"{path}: {m.group(0)!r} should install {name!r}"
            for extra in m.group(2).split(","):
                assert extra.strip() in extras, f"{path}: {m.group(0)!r}: no extra {extra!r} in setup.cfg"
        assert not re.search(r"pip install\s+['\"]?voc(?:\[|['\"\s]|$)", text), f"{path}: installs 'voc'"
        wheel = name.replace("-", "_")
        for m in re.finditer(r"dist/([A-Za-z0-9_.]+)-\d[\w.]*-py3", text):
            assert m.group(1) == wheel, f"{path}: wheel {m.group(0)!r} should be named {wheel}-..."
    assert seen >= 8, seen


def test_version_option_does_not_need_installed_metadata():
    from click.testing import CliRunner

    from voc.cli import main

    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and voc.__version__ in res.output
