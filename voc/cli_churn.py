"""Deprecated alias of :mod:`voc.cli.churn` (the CLI is the package :mod:`voc.cli`); removed in the next release."""

from __future__ import annotations

import warnings

from voc.cli.churn import churn as churn

warnings.warn("voc.cli_churn moved to voc.cli.churn; import it from there", DeprecationWarning, stacklevel=2)
