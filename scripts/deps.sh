#!/bin/sh
# Install the Debian packages taxid needs, when any is missing (issue 18 item 8: each job installs what it needs).
#   scripts/deps.sh          building and running the tools, and the demo (make deps)
#   scripts/deps.sh --test   that, and the test suite's and make lint's tools (make test-deps)
#   scripts/deps.sh --deb    what building the Debian package needs (make deb-deps)
# Says what it does; does nothing when everything is there. Needs root (or sudo) to install.
set -eu

# The compiler and the libraries (libcsv: CSV input, issue 18 item 6; libpq: a PostgreSQL database, issue 16); jq and
# openssl for scripts/demo.sh; the PostgreSQL server (issue 16: an office's database; make check-pg starts one).
BUILD="build-essential pkg-config libsqlite3-dev libssl-dev libargon2-dev libjansson-dev libcsv-dev libpq-dev"
RUN="jq openssl postgresql"
# bats and its libraries, the helpers tests call (sqlite3, argon2, python3 with python-stdnum, zsh and
# bash-completion, util-linux's script, systemd-analyze), make lint (mandoc, shellcheck), make fuzz (clang with its
# runtime), make valgrind, the report's browser test (chromium, python3-pil: tests/54), and make bench's peak
# memory (GNU time).
TEST="sqlite3 bats bats-support bats-assert bats-file mandoc shellcheck argon2 python3-stdnum bash-completion zsh
clang util-linux systemd libclang-rt-14-dev valgrind chromium python3-pil time"
case "${1:-}" in
"") PKGS="$BUILD $RUN" ;;
--test) PKGS="$BUILD $RUN $TEST" ;;
--deb) PKGS="$BUILD debhelper dpkg-dev fakeroot" ;;
*) echo "usage: scripts/deps.sh [--test | --deb]" >&2; exit 64 ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all the packages this needs are installed"
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
