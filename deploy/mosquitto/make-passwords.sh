#!/bin/sh
# Build a Mosquitto password file from environment variables, with `mosquitto_passwd -b`.
#
#   make-passwords.sh OUTFILE
#
#   MQTT_PUBLISHER_PASSWORD   user "publisher"   (required)
#   MQTT_ENGINE_PASSWORD      user "engine"      (required)
#   MQTT_API_PASSWORD         user "api"         (optional: the user is left out when unset)
#   MQTT_SUBSCRIBER_PASSWORD  user "subscriber"  (optional: the user is left out when unset)
#
# POSIX sh, so that it runs in the eclipse-mosquitto (Alpine) image as the container's entrypoint.
# The file is written fresh each time (no stale users), mode 0600, and owned by the mosquitto
# user when run as root, since the broker reads it after dropping privileges. Never commit the
# output: it holds password hashes.
set -eu

out="${1:?usage: make-passwords.sh OUTFILE}"
MOSQUITTO_PASSWD="${MOSQUITTO_PASSWD:-mosquitto_passwd}"

: "${MQTT_PUBLISHER_PASSWORD:?set MQTT_PUBLISHER_PASSWORD}"
: "${MQTT_ENGINE_PASSWORD:?set MQTT_ENGINE_PASSWORD}"

dir=$(dirname "$out")
mkdir -p "$dir"
umask 077
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
: >"$tmp"

add_user() {
    # add_user NAME PASSWORD
    if [ -z "$2" ]; then
        echo "make-passwords.sh: no password for MQTT user '$1': user not created" >&2
        return 0
    fi
    "$MOSQUITTO_PASSWD" -b "$tmp" "$1" "$2"
}

add_user publisher "$MQTT_PUBLISHER_PASSWORD"
add_user engine "$MQTT_ENGINE_PASSWORD"
add_user api "${MQTT_API_PASSWORD:-}"
add_user subscriber "${MQTT_SUBSCRIBER_PASSWORD:-}"

chmod 0600 "$tmp"
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto:mosquitto "$tmp"
fi
mv -f "$tmp" "$out"
trap - EXIT
echo "make-passwords.sh: wrote $out ($(wc -l <"$out") users)" >&2
