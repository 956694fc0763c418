#!/bin/sh
# tests/reliability/deps.sh - what the reliability suites need beyond the
# build: strace, xfs_io and mkfs.xfs (xfsprogs), gcovr for the coverage of
# error paths.  Installed when run as root; otherwise named.
pkgs="strace xfsprogs gcovr python3 util-linux"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -q && apt-get install -y -q $missing; } >/dev/null 2>&1 || exit 1
else
	echo "missing Debian packages:$missing (sudo apt-get install$missing)" >&2
	exit 1
fi
