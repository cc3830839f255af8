"""Deprecated alias of :mod:`voc.cli._io` (the CLI is the package :mod:`voc.cli`); removed in the next release."""

from __future__ import annotations

import warnings

from voc.cli._io import DICT_COLUMNS as DICT_COLUMNS
from voc.cli._io import INPUT_HELP as INPUT_HELP
from voc.cli._io import LIST_COLUMNS as LIST_COLUMNS
from voc.cli._io import WRITERS as WRITERS
from voc.cli._io import Steps as Steps
from voc.cli._io import as_of_option as as_of_option
from voc.cli._io import check_date as check_date
from voc.cli._io import check_file as check_file
from voc.cli._io import check_output as check_output
from voc.cli._io import clean_errors as clean_errors
from voc.cli._io import decode_cell as decode_cell
from voc.cli._io import decode_nested as decode_nested
from voc.cli._io import fail as fail
from voc.cli._io import first_line as first_line
from voc.cli._io import guard as guard
from voc.cli._io import headless_pyplot as headless_pyplot
from voc.cli._io import input_options as input_options
from voc.cli._io import load_table as load_table
from voc.cli._io import output_option as output_option
from voc.cli._io import prepare_output as prepare_output
from voc.cli._io import read_feedback as read_feedback
from voc.cli._io import read_optional as read_optional
from voc.cli._io import save_chart as save_chart
from voc.cli._io import write_output as write_output

warnings.warn("voc._cli_io moved to voc.cli._io; import it from there", DeprecationWarning, stacklevel=2)
