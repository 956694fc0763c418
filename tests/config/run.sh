#!/bin/sh
# run.sh [--update] BINDIR - check `spoold -n` against the golden configs.
#
# For each tests/config/NAME.in, `BINDIR/spoold -n -c tests/config/NAME.in`
# must print exactly NAME.ok: its stdout, then its stderr, then a last line
# "exit N".  --update rewrites the .ok files from what spoold prints now;
# review the diff before committing them.

usage() {
	echo "usage: run.sh [--update] BINDIR" >&2
	exit 64
}

update=0
if [ "$1" = --update ]; then
	update=1
	shift
fi
[ $# -eq 1 ] || usage
bindir=$(cd "$1" 2>/dev/null && pwd) || {
	echo "run.sh: no such directory: $1" >&2
	exit 66
}
[ -x "$bindir/spoold" ] || {
	echo "run.sh: no spoold in $bindir" >&2
	exit 66
}

# The names in the messages are the paths as given: run from the top.
cd "$(dirname "$0")/../.." || exit 1
unset SPOOL_DIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/spool-config.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

pass=0
fail=0
for f in tests/config/*.in; do
	name=${f##*/}
	name=${name%.in}
	"$bindir/spoold" -n -c "$f" >"$tmp/out" 2>"$tmp/err" </dev/null
	echo "exit $?" >"$tmp/rc"
	cat "$tmp/out" "$tmp/err" "$tmp/rc" >"$tmp/got"
	if [ $update = 1 ]; then
		cp "$tmp/got" "tests/config/$name.ok" || exit 1
		echo "updated $name"
	elif cmp -s "$tmp/got" "tests/config/$name.ok"; then
		echo "ok $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		diff -u "tests/config/$name.ok" "$tmp/got"
		fail=$((fail + 1))
	fi
done
[ $update = 1 ] && exit 0
echo "config: $pass passed, $fail failed"
[ $fail -eq 0 ]
