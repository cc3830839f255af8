"""Command line: ``voc analyze``, ``train``, ``evaluate``, ``demo``, ``report``, ``serve`` and the
``customers``, ``journey``, ``churn`` and ``label`` groups.

Every command reads CSV / JSONL / Parquet / Excel, writes by the output file's
extension, shows a progress bar on long work, and exits non-zero with a one-line
message on bad input (missing column, unreadable file).

Layout (imports go one way: this module -> command modules -> ``_io`` -> ``_tables``):

* :mod:`voc.cli._tables` -- :func:`read_table`, :func:`write_table`, :func:`detect_encoding`,
  the ``--encoding`` / ``--bom`` options;
* :mod:`voc.cli._io` -- input / output / error helpers of the table-level groups;
* :mod:`voc.cli.analyze` (``analyze``, ``train``, ``evaluate``, ``demo``),
  :mod:`voc.cli.report`, :mod:`voc.cli.serve`, :mod:`voc.cli.customers`,
  :mod:`voc.cli.journey`, :mod:`voc.cli.churn`, :mod:`voc.cli.label`: the commands.

Command modules import heavy libraries (pandas, scikit-learn, matplotlib ...) only
inside the commands, so ``voc --help`` stays fast.
"""

from __future__ import annotations

from typing import Any

import click

from voc import __version__
from voc.cli import analyze, churn, customers, journey, label, report, serve
from voc.cli._tables import (
    BOM_KEY,
    ENCODING_KEY,
    READERS,
    bom_option,
    check_paths,
    detect_encoding,
    encoding_option,
    read_table,
    require_writer,
    write_table,
)

__all__ = [
    "BOM_KEY",
    "ENCODING_KEY",
    "READERS",
    "bom_option",
    "check_paths",
    "detect_encoding",
    "encoding_option",
    "main",
    "read_table",
    "require_writer",
    "write_table",
]


class _Group(click.Group):
    """The main group: a missing optional dependency becomes one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; :class:`voc._extras.MissingExtra` -> ``error: ...`` and exit code 2."""
        from voc._extras import MissingExtra

        try:
            return super().invoke(ctx)
        except MissingExtra as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="voc")
@click.option("--keep-formulas", is_flag=True,
              help="Write CSV/Excel text cells starting with = + - @ as they are (default: a leading ' "
                   "so that spreadsheets show them as text, not run them as formulas).")
@click.pass_context
def main(ctx: click.Context, keep_formulas: bool) -> None:
    """voc: mine Chinese voice-of-customer text."""
    ctx.meta["voc.keep_formulas"] = keep_formulas


for _command in (
    analyze.analyze, analyze.train, analyze.evaluate, analyze.demo, report.report, serve.serve,
    customers.customers, journey.journey, churn.churn, label.label,
):
    main.add_command(_command)
