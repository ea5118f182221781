#!/usr/bin/env bash
# The interop matrix against all four brokers: Mosquitto (Debian's package, installed here when
# missing), rumqttd (built from this workspace), aedes (npm) and amqtt (PyPI), the last two
# installed on first use under target/interop/. Prints the matrix as Markdown.
#
# Usage: mqtt-probe/interop.sh            # all four
#        INTEROP_BROKERS=mosquitto,aedes mqtt-probe/interop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y mosquitto >/dev/null
fi
INTEROP_BROKERS="${INTEROP_BROKERS:-all}" \
    cargo test -q -p mqtt-probe --test interop -- --nocapture
