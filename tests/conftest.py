"""Shared fixtures. Tests never read ../shared: only corpora/ and the package."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def nlp():
    """The shipped default analyzer (loaded once per test session)."""
    import voc

    return voc.load()


@pytest.fixture(scope="session")
def voc_zh():
    """The authored corpus, all splits."""
    from voc.datasets import load_frame

    return load_frame("voc_zh")
