#!/usr/bin/env bash
# Deploy one image tag to a host that runs the compose stack in DEPLOY_DIR (default /srv/gridscore):
# pull the image, back up PostgreSQL, run the migrations, then start the new version and wait for
# its health checks. Used by .github/workflows/deploy.yml; see docs/operations.md.
#
#   DEPLOY_HOST DEPLOY_USER DEPLOY_KEY DEPLOY_KNOWN_HOSTS IMAGE_TAG [DEPLOY_DIR] deploy/remote-deploy.sh
set -euo pipefail

: "${DEPLOY_HOST:?}" "${DEPLOY_USER:?}" "${DEPLOY_KEY:?}" "${DEPLOY_KNOWN_HOSTS:?}" "${IMAGE_TAG:?}"
dir="${DEPLOY_DIR:-/srv/gridscore}"
image="ghcr.io/${GITHUB_REPOSITORY:-gridscore/gridscore}"

keys="$(mktemp -d)"
trap 'rm -rf "$keys"' EXIT
printf '%s\n' "$DEPLOY_KEY" > "$keys/id"
printf '%s\n' "$DEPLOY_KNOWN_HOSTS" > "$keys/known_hosts"
chmod 600 "$keys/id"

ssh -i "$keys/id" -o UserKnownHostsFile="$keys/known_hosts" -o StrictHostKeyChecking=yes \
    "$DEPLOY_USER@$DEPLOY_HOST" \
    "cd '$dir' && export GRIDSCORE_IMAGE='$image' GRIDSCORE_IMAGE_TAG='$IMAGE_TAG' \
     && docker compose pull migrate api engine worker beat \
     && docker compose run --rm worker gridscore backup \
     && docker compose run --rm migrate \
     && docker compose up -d --wait api engine worker beat"
