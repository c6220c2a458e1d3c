#!/bin/bash
# A nightly clean-up of the demo registry "contoso", written the way the ACR docs write theirs.
# Pre-flight it:  acrdoctor preflight --demo --script docs/examples/contoso-cleanup.sh [--set ENABLE_DELETE=true]

# Change to 'true' to enable image delete
ENABLE_DELETE=false

REGISTRY=contoso
TIMESTAMP=2026-10-25

# 1. Untagged builds of apps/web older than TIMESTAMP, deleted by digest (the docs' delete-by-timestamp pipeline).
if [ "$ENABLE_DELETE" = true ]
then
    az acr manifest list-metadata --name apps/web --registry $REGISTRY \
    --orderby time_asc --query "[?lastUpdateTime < '$TIMESTAMP' && tags == null].digest" -o tsv \
    | xargs -I% az acr repository delete --name $REGISTRY --image apps/web@% --yes
else
    echo "No data deleted. Set ENABLE_DELETE=true to delete these untagged apps/web builds:"
    az acr manifest list-metadata --name apps/web --registry $REGISTRY \
    --orderby time_asc --query "[?lastUpdateTime < '$TIMESTAMP' && tags == null].[digest, lastUpdateTime]" -o tsv
fi

# 2. Untagged scorer and orders builds older than two weeks.
for REPO in ml/batch-scorer apps/orders-api; do
    az acr run --registry $REGISTRY --cmd "acr purge --filter '$REPO:.*' --untagged-only --ago 14d" /dev/null
done

# 3. Retire the 2.7.0 tag of the payments API and the team-b spike.
az acr repository untag --name $REGISTRY --image apps/payments-api:2.7.0
az acr repository delete --name $REGISTRY --image team-b/scratch:spike-auth --yes

# 4. Stale tags everywhere (a loop over a computed list: acrdoctor reports it instead of guessing).
for REPO in $(az acr repository list --name $REGISTRY -o tsv); do
    az acr repository show-tags --name $REGISTRY --repository $REPO --detail \
        --query "[?starts_with(name, 'stale-')].name" -o tsv \
        | xargs -I% az acr repository untag --name $REGISTRY --image $REPO:%
done
