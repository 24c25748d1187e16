#!/bin/sh
# Install the Debian packages dedup needs, only when some are missing. Run by `make`
# targets on a fresh machine; needs root (or sudo) only when something must be installed.
# Usage: scripts/install-deps.sh [extra-package...]
set -eu
pkgs="gcc make pkg-config libxxhash-dev libutf8proc-dev libcmocka-dev libjansson-dev libstemmer-dev libarchive-dev libxml2-dev libsqlite3-dev $*"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "dedup: installing missing packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "dedup: need root to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
