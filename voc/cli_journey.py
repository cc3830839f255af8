"""Deprecated alias of :mod:`voc.cli.journey` (the CLI is the package :mod:`voc.cli`); removed in the next release."""

from __future__ import annotations

import warnings

from voc.cli.journey import journey as journey

warnings.warn("voc.cli_journey moved to voc.cli.journey; import it from there", DeprecationWarning, stacklevel=2)
