"""``acrdoctor explain``: recognise ACR failures in pasted error text, a log file or stdin.

Imports :mod:`acrdoctor.cli.common` and :mod:`acrdoctor.explain`; no other command module.
"""

from __future__ import annotations

import sys

import click

import acrdoctor.cli.common as common
from acrdoctor.explain import render_console, render_json, render_ticket
from acrdoctor.explain.argument import explain_argument


@click.command("explain")
@click.argument("text", metavar="TEXT|-|FILE")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Report format (json: docs/explain.md).")
@click.option("--text", "as_text", is_flag=True, help="TEXT is the error text, even if it looks like a file name.")
@click.option("--ticket", is_flag=True,
              help="TEXT is a whole support ticket (prose and pasted logs): one answer, most likely cause first.")
def explain_cmd(text: str, output: str, as_text: bool, ticket: bool) -> None:
    """Explain ACR errors in TEXT, in a log FILE or on stdin (-): what failed, why, how to confirm and fix it.

    Answers are ranked by confidence, each with the lines that triggered it and, when the text is not enough, the
    read-only commands to run next. --ticket reads a whole ticket and answers "Most likely: …", then "Also
    possible: …". Exit 0 when something was recognised, 1 when nothing was, 2 when the input cannot be read (a file name
    that names no file, an empty argument).
    """
    result = explain_argument(text, sys.stdin.buffer, sys.stderr, as_text=as_text, ticket=ticket)
    if output == "json":
        click.echo(render_json(result, pretty=sys.stdout.isatty(), ticket=ticket), nl=False)
    elif ticket:
        render_ticket(result, common.stdout_console())
    else:
        render_console(result, common.stdout_console())
    sys.exit(result.exit_code())
