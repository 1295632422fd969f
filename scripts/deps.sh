#!/bin/sh
# Install the Debian packages taxid needs to build, test and lint, when any is missing.
# Says what it does; does nothing when everything is there. Needs root (or sudo) to install.
# With --deb: only what building the Debian package needs on top (make deb-deps; make deb).
set -eu

PKGS="build-essential pkg-config libsqlite3-dev libssl-dev libargon2-dev libjansson-dev
sqlite3 jq bats bats-support bats-assert bats-file mandoc shellcheck argon2 openssl
python3-stdnum bash-completion zsh clang util-linux systemd
libclang-rt-14-dev valgrind chromium python3-pil"
if [ "${1:-}" = --deb ]; then
	PKGS="build-essential pkg-config libsqlite3-dev libssl-dev libargon2-dev libjansson-dev
debhelper dpkg-dev fakeroot"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all build and test packages are installed"
	exit 0
fi
echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to install:$missing" >&2; exit 69; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
$SUDO apt-get update -q
echo "deps: apt-get install -y$missing"
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
