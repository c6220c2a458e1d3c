"""``acrdoctor whoami``: the object id (and principal type) az is signed in as, for printed role assignments.

Imports :mod:`acrdoctor.cli.common` and the library; the token comes from the Azure CLI's own sign-in, because the
commands it feeds are az commands run in the same shell.
"""

from __future__ import annotations

import json

import click

import acrdoctor.cli.common as common


@click.command("whoami")
@click.option("--object-id", "field", flag_value="principalId", help="Print only the object id.")
@click.option("--principal-type", "field", flag_value="principalType",
              help="Print only the principal type (User or ServicePrincipal).")
@click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: type, object id and name on one line; json: the three as an object.")
def whoami_cmd(field: str | None, output: str) -> None:
    """Print the object id and principal type az is signed in as (from its ARM token; no Graph call)."""
    try:
        from azure.identity import AzureCliCredential

        from acrdoctor.collect.whoami import signed_in
        from acrdoctor.errors import InputError

        caller = signed_in(AzureCliCredential())
    except InputError as e:
        common.fail(str(e), code=1)
    except Exception as e:  # noqa: BLE001 - az missing, not signed in: one line, never a traceback
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        common.fail(f"cannot get a token from the Azure CLI (az login first): {first}", code=1)
    from acrdoctor.textsafe import visible

    if field:
        click.echo(visible(str(caller[field])))
    elif output == "json":
        click.echo(json.dumps(caller, indent=2))
    else:
        name = f" ({visible(caller['name'])})" if caller.get("name") else ""
        click.echo(f"{visible(caller['principalType'])} {visible(caller['principalId'])}{name}")
