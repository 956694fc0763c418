#!/bin/sh
# tests/deps.sh [PACKAGE ...] - install the Debian packages named (by
# default those the build and the tests need) when run as root; otherwise
# say which are missing.  The reliability suites and the bench name theirs.
pkgs=${*:-build-essential libinotifytools0-dev libyaml-dev libcmocka-dev valgrind mandoc python3 pkg-config}
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null || exit 1
else
	echo "missing Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install$missing" >&2
	exit 1
fi
