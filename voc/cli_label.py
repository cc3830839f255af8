"""Deprecated alias of :mod:`voc.cli.label` (the CLI is the package :mod:`voc.cli`); removed in the next release."""

from __future__ import annotations

import warnings

from voc.cli.label import label as label

warnings.warn("voc.cli_label moved to voc.cli.label; import it from there", DeprecationWarning, stacklevel=2)
