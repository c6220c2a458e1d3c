"""The bundle script: read-only ``az`` commands that write a bundle directory (``docs/bundle.md``).

For a customer who can run ``az`` but not acrdoctor: ``acrdoctor bundle-script --registry R`` prints a
bash script, they run it where they are signed in to Azure, and send back the directory it writes;
``acrdoctor diagnose --bundle DIR`` reads it (:mod:`acrdoctor.collect.bundle`). Every command only reads
(``show``, ``list``, ``show-usage``, ``show-tags``, ``list-metadata``, ``manifest show``), so the script
is safe to review and run as is. A command that fails leaves its file out and what az printed on stderr in
an error file beside it, which acrdoctor reads as "not collected, because …" and reports, instead of stopping
the whole collection. A clean run writes no error files: every command runs with ``--only-show-errors``, so
az's preview and deprecation warnings are not taken for errors.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from acrdoctor.collect.bundle import (
    BODIES_DIR,
    DIGESTS_ERROR,
    ERROR_SUFFIX,
    MANIFESTS,
    PRIVATE_ENDPOINT_CONNECTIONS,
    REGISTRY,
    REPLICATIONS,
    REPOSITORIES,
    REPOSITORIES_DIR,
    REPOSITORY,
    TAGS,
    USAGE,
    error_file_name,
)
from acrdoctor.collect.live import parse_target
from acrdoctor.errors import InputError

#: The verbs the script may use; tests check that nothing else appears.
READ_ONLY_VERBS = ("show", "list", "show-usage", "show-tags", "list-metadata")


#: OCI/ACR repository names: lowercase path components of letters and digits joined by ., _, __ or -.
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


def _check_repository(name: str) -> str:
    if not _REPOSITORY.match(name):
        raise InputError(f"'{name}' is not a repository name (lowercase letters and digits, separated by "
                         "'.', '_', '-' or '/')")
    return name


def bundle_script(registry: str, repositories: Iterable[str] = (), resource_group: str | None = None) -> str:
    """A bash script that writes a bundle of ``registry`` (all repositories, or only ``repositories``)."""
    target = parse_target(registry)
    name = target.name
    group = resource_group or target.resource_group
    repos = sorted({_check_repository(r.strip()) for r in repositories})
    q = shlex.quote
    in_group = ' --resource-group "$GROUP"' if group else ""
    arm_target = f'--name "$REGISTRY"{in_group}'
    arm_registry = f'"$REGISTRY"{in_group}'
    group_line = f"GROUP={q(group)}" if group else "# No resource group given: az looks the registry up."
    if repos:
        repo_list = "\n".join(
            ["# Only these repositories (acrdoctor bundle-script --repository): no repositories.json is written,",
             "# so acrdoctor treats registry-wide figures as partial.",
             "REPOSITORY_NAMES=$(printf '%s\\n' " + " ".join(q(r) for r in repos) + ")"])
    else:
        repo_list = "\n".join([
            "# Every repository: the list as az prints it, then the same list as plain lines to loop over.",
            f'run "$OUT/{REPOSITORIES}" az acr repository list --name "$REGISTRY" --output json --only-show-errors',
            'REPOSITORY_NAMES=""',
            f'if [ -f "$OUT/{REPOSITORIES}" ]; then',
            f'  REPOSITORY_NAMES=$(capture "$OUT/{error_file_name(REPOSITORIES)}" \\',
            '    az acr repository list --name "$REGISTRY" --output tsv --only-show-errors) || {',
            f'    rm -f -- "$OUT/{REPOSITORIES}"',
            '    echo "warning: could not list repositories; the bundle has no repository data" >&2',
            '    REPOSITORY_NAMES=""',
            "  }",
            "fi",
        ])
    return f"""#!/usr/bin/env bash
# acrdoctor bundle script for the container registry {name}.
#
# READ-ONLY: every command below only reads (az acr show, show-usage, private-endpoint-connection list,
# replication list, repository list/show/show-tags, manifest list-metadata, manifest show). Nothing is
# changed, deleted or pushed. It needs bash and the Azure CLI, signed in ('az login') with the
# subscription of the registry selected ('az account set --subscription ID'), and read access to the
# registry (Reader on the resource and a data-plane read role such as AcrPull or Container Registry
# Repository Reader).
#
# Usage: bash this-script.sh [OUTPUT_DIRECTORY]     (default: ./acr-bundle-{name})
#
# It writes a bundle directory (layout: acrdoctor docs/bundle.md), each file exactly what its az command
# prints with --output json:
#   {REGISTRY}, {USAGE}, {PRIVATE_ENDPOINT_CONNECTIONS}, {REPLICATIONS}, {REPOSITORIES},
#   {REPOSITORIES_DIR}/<repository>/{REPOSITORY}, {TAGS}, {MANIFESTS} and {BODIES_DIR}/<algorithm>-<hex>.json
#   (one manifest body per digest). Repository names with '/' become nested folders.
# A command that fails leaves its file out and what az printed on stderr in NAME{ERROR_SUFFIX} beside it
# (usage{ERROR_SUFFIX} for usage.json); acrdoctor reports that part as not collected, with that error.
# Review the files before sending them: they hold registry settings, repository and tag names, digests and
# sizes, error messages, and no credentials.
# Then: acrdoctor diagnose --bundle OUTPUT_DIRECTORY
set -euo pipefail

REGISTRY={q(name)}
{group_line}
OUT=${{1:-acr-bundle-{name}}}

mkdir -p -- "$OUT/{REPOSITORIES_DIR}"

# capture ERROR_FILE COMMAND...: run COMMAND, its output passing through; if it fails, ERROR_FILE keeps what it
# printed on stderr, otherwise no ERROR_FILE is left.
capture() {{
  local err="$1"
  shift
  if "$@" 2> "$err" </dev/null; then
    rm -f -- "$err"
  else
    return 1
  fi
}}

# run FILE COMMAND...: write what COMMAND prints to FILE; if it fails, leave FILE out and keep the error beside
# it in the error file (FILE without .json, plus {ERROR_SUFFIX}).
run() {{
  local file="$1" err="${{1%.json}}{ERROR_SUFFIX}"
  shift
  if capture "$err" "$@" > "$file.tmp"; then
    mv -f -- "$file.tmp" "$file"
  else
    rm -f -- "$file.tmp" "$file"
    echo "warning: failed, $file not written (the error is in $err): $*" >&2
  fi
}}

echo "writing the bundle of $REGISTRY to $OUT" >&2
run "$OUT/{REGISTRY}" az acr show {arm_target} --output json --only-show-errors
if [ ! -f "$OUT/{REGISTRY}" ]; then
  echo "error: 'az acr show' failed (see $OUT/{error_file_name(REGISTRY)}): signed in, right subscription, registry" \\
    "name?" >&2
  exit 1
fi
run "$OUT/{USAGE}" az acr show-usage {arm_target} --output json --only-show-errors
run "$OUT/{PRIVATE_ENDPOINT_CONNECTIONS}" \\
  az acr private-endpoint-connection list --registry-name {arm_registry} --output json --only-show-errors
run "$OUT/{REPLICATIONS}" az acr replication list --registry {arm_registry} --output json --only-show-errors

{repo_list}

while IFS= read -r repo; do
  repo=${{repo%$'\\r'}}
  [ -n "$repo" ] || continue
  dir="$OUT/{REPOSITORIES_DIR}/$repo"
  mkdir -p -- "$dir/{BODIES_DIR}"
  echo "repository $repo" >&2
  run "$dir/{REPOSITORY}" az acr repository show --name "$REGISTRY" --repository "$repo" --output json \\
    --only-show-errors
  run "$dir/{TAGS}" az acr repository show-tags --name "$REGISTRY" --repository "$repo" --detail --output json \\
    --only-show-errors
  run "$dir/{MANIFESTS}" az acr manifest list-metadata --registry "$REGISTRY" --name "$repo" --output json \\
    --only-show-errors
  digests=""
  rm -f -- "$dir/{BODIES_DIR}/{DIGESTS_ERROR}"
  if [ -f "$dir/{MANIFESTS}" ]; then
    digests=$(capture "$dir/{BODIES_DIR}/{DIGESTS_ERROR}" az acr manifest list-metadata --registry "$REGISTRY" \\
      --name "$repo" --query "[].digest" --output tsv --only-show-errors) || digests=""
  fi
  while IFS= read -r digest; do
    digest=${{digest%$'\\r'}}
    [ -n "$digest" ] || continue
    run "$dir/{BODIES_DIR}/${{digest/:/-}}.json" az acr manifest show --registry "$REGISTRY" --name "$repo@$digest" \\
      --raw --output json --only-show-errors
  done <<< "$digests"
done <<< "$REPOSITORY_NAMES"

echo "done: $OUT (send the whole directory; a file ending in {ERROR_SUFFIX} holds the error of a command that" \\
  "failed)" >&2
"""
