"""Deprecated alias of :mod:`voc.cli.customers` (the CLI is the package :mod:`voc.cli`); removed in the next release."""

from __future__ import annotations

import warnings

from voc.cli.customers import DICT_COLUMNS as DICT_COLUMNS
from voc.cli.customers import LIST_COLUMNS as LIST_COLUMNS
from voc.cli.customers import WRITERS as WRITERS
from voc.cli.customers import customers as customers
from voc.cli.customers import decode_nested as decode_nested
from voc.cli.customers import prepare_output as prepare_output

warnings.warn("voc.cli_customers moved to voc.cli.customers; import it from there", DeprecationWarning, stacklevel=2)
