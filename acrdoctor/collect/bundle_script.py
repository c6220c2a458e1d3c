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
from acrdoctor.collect.bundle_controls import (
    CACHE_RULES,
    CALLER,
    CONNECTED_REGISTRIES,
    DELETED_MANIFESTS,
    DELETED_REPOSITORIES,
    LIST_ERROR,
    LOCK_FILES,
    PRINCIPAL,
    ROLE_ASSIGNMENTS,
    ROLE_DEFINITIONS_DIR,
    SCOPE_MAPS,
    TASKS,
    TASKS_DIR,
    TOKENS,
)
from acrdoctor.collect.live import parse_target
from acrdoctor.errors import InputError

#: The verbs the script may use; tests check that nothing else appears.
READ_ONLY_VERBS = ("show", "list", "show-usage", "show-tags", "list-metadata", "list-deleted")


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
# replication list, repository list/show/show-tags/list-deleted, manifest list-metadata/show/list-deleted,
# token/scope-map/cache/connected-registry/task list, task show, lock list, account show, ad signed-in-user
# show / ad sp show, role assignment list, role definition list). Nothing is changed, deleted or pushed.
# It needs bash and the Azure CLI, signed in ('az login') with the subscription of the registry selected
# ('az account set --subscription ID'), and read access to the registry (Reader on the resource and a
# data-plane read role such as AcrPull or Container Registry Repository Reader). The locks, your role
# assignments and soft-deleted artifacts need read access to Microsoft.Authorization, to your own directory
# object ('az ad') and to the registry's deleted artifacts; a read that is refused is left out and reported.
#
# Usage: bash this-script.sh [OUTPUT_DIRECTORY]     (default: ./acr-bundle-{name})
#
# It writes a bundle directory (layout: acrdoctor docs/bundle.md), each file exactly what its az command
# prints with --output json:
#   {REGISTRY}, {USAGE}, {PRIVATE_ENDPOINT_CONNECTIONS}, {REPLICATIONS}, {REPOSITORIES},
#   {REPOSITORIES_DIR}/<repository>/{REPOSITORY}, {TAGS}, {MANIFESTS} and {BODIES_DIR}/<algorithm>-<hex>.json
#   (one manifest body per digest). Repository names with '/' become nested folders. Then the Azure-side
#   controls: {", ".join(LOCK_FILES.values())}, {CALLER}, {PRINCIPAL}, {ROLE_ASSIGNMENTS},
#   {ROLE_DEFINITIONS_DIR}/<role id>.json, {TOKENS}, {SCOPE_MAPS}, {CACHE_RULES}, {CONNECTED_REGISTRIES}, {TASKS},
#   {TASKS_DIR}/<task>.json and, with soft delete on, {DELETED_REPOSITORIES} and
#   {REPOSITORIES_DIR}/<repository>/{DELETED_MANIFESTS}.
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

# -- Azure-side controls: management locks, who you are and your roles, tokens, tasks, cache rules, connected
# registries. The registry's id, group and soft-delete setting come from az acr show.
REGISTRY_ID=$(az acr show {arm_target} --query id --output tsv --only-show-errors 2>/dev/null </dev/null) \\
  || REGISTRY_ID=""
REGISTRY_GROUP=$(az acr show {arm_target} --query resourceGroup --output tsv --only-show-errors 2>/dev/null \\
  </dev/null) || REGISTRY_GROUP=""
SOFT_DELETE=$(az acr show {arm_target} --query policies.softDeletePolicy.status --output tsv --only-show-errors \\
  2>/dev/null </dev/null) || SOFT_DELETE=""
if [ -n "$REGISTRY_GROUP" ]; then
  run "$OUT/{LOCK_FILES["registry"]}" az lock list --resource-group "$REGISTRY_GROUP" --resource "$REGISTRY" \\
    --resource-type Microsoft.ContainerRegistry/registries --output json --only-show-errors
  run "$OUT/{LOCK_FILES["resourceGroup"]}" az lock list --resource-group "$REGISTRY_GROUP" --output json \\
    --only-show-errors
fi
run "$OUT/{LOCK_FILES["subscription"]}" az lock list --output json --only-show-errors

# Who is signed in: a user (az ad signed-in-user show) or a service principal (az ad sp show --id <appId>); a
# managed identity's object id is not found this way, so its roles are left out.
run "$OUT/{CALLER}" az account show --query user --output json --only-show-errors
CALLER_TYPE=$(az account show --query user.type --output tsv --only-show-errors 2>/dev/null </dev/null) \\
  || CALLER_TYPE=""
CALLER_NAME=$(az account show --query user.name --output tsv --only-show-errors 2>/dev/null </dev/null) \\
  || CALLER_NAME=""
PRINCIPAL_ID=""
if [ "$CALLER_TYPE" = "user" ]; then
  run "$OUT/{PRINCIPAL}" az ad signed-in-user show --output json --only-show-errors
  [ -f "$OUT/{PRINCIPAL}" ] && PRINCIPAL_ID=$(az ad signed-in-user show --query id --output tsv --only-show-errors \\
    2>/dev/null </dev/null) || PRINCIPAL_ID=""
elif [ -n "$CALLER_NAME" ]; then
  run "$OUT/{PRINCIPAL}" az ad sp show --id "$CALLER_NAME" --output json --only-show-errors
  [ -f "$OUT/{PRINCIPAL}" ] && PRINCIPAL_ID=$(az ad sp show --id "$CALLER_NAME" --query id --output tsv \\
    --only-show-errors 2>/dev/null </dev/null) || PRINCIPAL_ID=""
fi
if [ -n "$PRINCIPAL_ID" ]; then
  run "$OUT/{ROLE_ASSIGNMENTS}" az role assignment list --assignee "$PRINCIPAL_ID" --all --include-inherited \\
    --include-groups --output json --only-show-errors
  roles=""
  if [ -f "$OUT/{ROLE_ASSIGNMENTS}" ]; then
    mkdir -p -- "$OUT/{ROLE_DEFINITIONS_DIR}"
    roles=$(capture "$OUT/{ROLE_DEFINITIONS_DIR}/{LIST_ERROR}" az role assignment list \\
      --assignee "$PRINCIPAL_ID" --all --include-inherited --include-groups --query "[].roleDefinitionId" \\
      --output tsv --only-show-errors) || roles=""
  fi
  while IFS= read -r role; do
    role=${{role%$'\\r'}}
    [ -n "$role" ] || continue
    run "$OUT/{ROLE_DEFINITIONS_DIR}/${{role##*/}}.json" az role definition list --name "${{role##*/}}" --output json \\
      --only-show-errors
  done <<< "$(printf '%s\\n' "$roles" | sort -u)"
fi

run "$OUT/{TOKENS}" az acr token list --registry {arm_registry} --output json --only-show-errors
run "$OUT/{SCOPE_MAPS}" az acr scope-map list --registry {arm_registry} --output json --only-show-errors
run "$OUT/{CACHE_RULES}" az acr cache list --registry {arm_registry} --output json --only-show-errors
run "$OUT/{CONNECTED_REGISTRIES}" az acr connected-registry list --registry {arm_registry} --output json \\
  --only-show-errors
run "$OUT/{TASKS}" az acr task list --registry {arm_registry} --output json --only-show-errors
task_names=""
if [ -f "$OUT/{TASKS}" ]; then
  mkdir -p -- "$OUT/{TASKS_DIR}"
  task_names=$(capture "$OUT/{TASKS_DIR}/{LIST_ERROR}" az acr task list \\
    --registry {arm_registry} --query "[].name" --output tsv --only-show-errors) || task_names=""
fi
while IFS= read -r task; do
  task=${{task%$'\\r'}}
  [ -n "$task" ] || continue
  run "$OUT/{TASKS_DIR}/$task.json" az acr task show --registry {arm_registry} --name "$task" --output json \\
    --only-show-errors
done <<< "$task_names"

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

# Soft-deleted manifests (soft delete on only): of every repository above and of the soft-deleted ones.
if [ "$SOFT_DELETE" = "enabled" ]; then
  run "$OUT/{DELETED_REPOSITORIES}" az acr repository list-deleted --name "$REGISTRY" --output json --only-show-errors
  deleted_names=""
  if [ -f "$OUT/{DELETED_REPOSITORIES}" ]; then
    deleted_names=$(capture "$OUT/{error_file_name(DELETED_REPOSITORIES)}" az acr repository list-deleted \\
      --name "$REGISTRY" --output tsv --only-show-errors) || deleted_names=""
  fi
  while IFS= read -r repo; do
    repo=${{repo%$'\\r'}}
    [ -n "$repo" ] || continue
    mkdir -p -- "$OUT/{REPOSITORIES_DIR}/$repo"
    run "$OUT/{REPOSITORIES_DIR}/$repo/{DELETED_MANIFESTS}" az acr manifest list-deleted --registry "$REGISTRY" \\
      --name "$repo" --output json --only-show-errors
  done <<< "$(printf '%s\\n%s\\n' "$REPOSITORY_NAMES" "$deleted_names" | tr -d '\\r' | sort -u)"
fi

echo "done: $OUT (send the whole directory; a file ending in {ERROR_SUFFIX} holds the error of a command that" \\
  "failed)" >&2
"""
