#!/bin/bash
# Build the Debian package (make deb): copy the source tree (the files git knows, tracked or not ignored) to
# OUTDIR/deb-build and run dpkg-buildpackage -us -uc -b there, because dpkg-buildpackage cleans the tree it
# builds in and bin/ may be in use. The .deb lands in OUTDIR. Needs the tooling of 'make deb-deps'.
# usage: scripts/deb.sh [OUTDIR]      (default: the current directory)
# Environment: DEB_EXCLUDE, an extended regular expression of source paths to leave out of the copy.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
for t in dpkg-buildpackage dh fakeroot; do
	command -v "$t" >/dev/null || { echo "deb: no $t (run make deb-deps)" >&2; exit 69; }
done
version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
build=$out/deb-build
src=$build/taxid-$version
rm -rf "$build"
mkdir -p "$src"

cd "$here"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard
else
	find . -path ./.git -prune -o -type f -print0 | sed -z 's|^\./||'
fi | { if [ -n "${DEB_EXCLUDE:-}" ]; then grep -zEv -- "$DEB_EXCLUDE"; else cat; fi; } |
	while IFS= read -r -d '' f; do
		# only what is there (a deleted file may still be in the index), and no build products
		[ -f "$f" ] || continue
		case $f in bin/* | build/* | asan/* | lib/libtaxid.a | *.db | *.db-* | *.db.key | debian/taxid/* | debian/.debhelper/*) continue ;; esac
		printf '%s\0' "$f"
	done | tar -c --null -T - -f - | tar -x -C "$src"

echo "deb: building taxid $version for $arch in $src"
# Called from make, the caller's command-line variables (O=..., SANITIZE=...) are in the environment and in
# MAKEFLAGS, and would reach the package's make: drop them.
(
	unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES O SANITIZE DEVELOPER V PREFIX DESTDIR BINDIR MANDIR DATADIR \
		BASHCOMPDIR ZSHCOMPDIR EXAMPLESDIR LIB_SRC
	cd "$src" && dpkg-buildpackage -us -uc -b
)
deb=taxid_${version}_$arch.deb
mv "$build/$deb" "$out/$deb"
rm -rf "$build"
echo "deb: $out/$deb"
dpkg-deb -f "$out/$deb" Package Version Depends Recommends
