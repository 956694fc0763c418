#!/bin/sh
# mallocfail.sh - allocation N = 1, 2, ... fails (failmalloc.so, LD_PRELOAD)
# in spoolsubmit and in spoold --drain --stamp, until N is past the last
# allocation of the run; twice: counting the allocations of our own code
# (libspool and the tools), then every allocation after the loader's
# (libc's stdio and time zones, libyaml, libinotifytools too).  Only the
# first pass judges: the second reports what happens (libinotifytools 3.22
# dereferences its own failed allocations, and glibc aborts when
# pthread_cancel cannot load libgcc_s), as "# note" lines.  Each run must end cleanly: exit 0, or a sysexits
# code with a "PROGRAM: ...: why" message, never a signal or a hang; and
# nothing may be lost: every ID spoolsubmit printed is queued, whole; after
# a second spoold run without the shim, every job is in done/ once.
#   SHIM=path/to/failmalloc.so  BIN=programs (default build/bin)
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
SHIM=${SHIM:?SHIM=failmalloc.so}
W=$(mktemp -d /tmp/spool-mallocfail.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
failed=0
ok() { printf 'ok - %s\n' "$*"; }
nok() {
	if [ "$mode" = all ]; then
		printf '# note: %s\n' "$*"
	else
		printf 'not ok - %s\n' "$*"
		failed=1
	fi
}

# run N PROGRAM ARGS...: with the Nth allocation failing; sets rc, calls,
# fired.
run() {
	_n=$1
	shift
	rm -f "$W/report"
	timeout -s KILL 30 env FAILMALLOC_NTH=$_n FAILMALLOC_REPORT=$W/report \
	    ${ALL:+FAILMALLOC_ALL=1} LD_PRELOAD=$SHIM "$@" >"$W/out" 2>"$W/err"
	rc=$?
	calls=$(sed -n 's/^calls=\([0-9]*\).*/\1/p' "$W/report" 2>/dev/null | head -1)
	fired=$(grep -c 'failed=1' "$W/report" 2>/dev/null)
}
# A clean end: 0, or a sysexits code (64..78) with a message.
clean_end() {	# PROG
	[ $rc -eq 0 ] && return 0
	[ $rc -ge 64 ] && [ $rc -le 78 ] && grep -q "^$1: " "$W/err"
}

for i in 1 2 3 4 5; do
	head -c $((i * 700)) /dev/urandom | od -An -tx1 >"$W/in.$i"
done

for mode in ours all; do
	ALL=
	[ $mode = all ] && ALL=1
	# spoolsubmit: three files at once.
	n=0 worst=
	while :; do
		n=$((n + 1))
		rm -rf "$W/sp"
		"$BIN/spooladmin" init "$W/sp" >/dev/null
		run $n "$BIN/spoolsubmit" -d "$W/sp" "$W/in.1" "$W/in.2" "$W/in.3"
		[ "${fired:-0}" -eq 0 ] && [ $rc -eq 0 ] && break	# past the last
		if ! clean_end spoolsubmit; then
			worst="$worst N=$n:rc=$rc"
			sed "s/^/# N=$n: /" "$W/err" | head -3
		fi
		# Every ID printed is queued, whole (a prefix of the inputs' order).
		k=0
		while read -r id; do
			k=$((k + 1))
			cmp -s "$W/sp/new/$id" "$W/in.$k" ||
			    worst="$worst N=$n:lost-or-torn:$id"
		done <"$W/out"
		# Nothing but whole jobs in new/.
		for f in "$W"/sp/new/*; do
			[ -e "$f" ] || continue
			cmp -s "$f" "$W/in.1" || cmp -s "$f" "$W/in.2" ||
			    cmp -s "$f" "$W/in.3" || worst="$worst N=$n:torn-in-new"
		done
		[ $n -lt 2000 ] || { worst="$worst runaway"; break; }
	done
	echo "# figure mallocfail_${mode}_spoolsubmit_allocations $((n - 1))"
	if [ -z "$worst" ]; then
		ok "spoolsubmit ($mode): allocations 1..$((n - 1)) each failed in turn: clean errors, no job lost or torn"
	else
		nok "spoolsubmit ($mode): failed allocations:$worst"
	fi

	# spoold --drain --stamp over 5 queued jobs (one with a history).
	n=0 worst=
	while :; do
		n=$((n + 1))
		rm -rf "$W/sp"
		"$BIN/spooladmin" init "$W/sp" >/dev/null
		"$BIN/spoolsubmit" -d "$W/sp" "$W"/in.* >"$W/ids"
		first=$(head -1 "$W/ids")
		echo "2026-11-28T10:00:00.000Z retry by=h:1 attempt=1 status=\"exit 1\" error=x delay=0s" \
		    >"$W/sp/meta/$first"
		run $n "$BIN/spoold" -d "$W/sp" --stamp --drain --no-sync
		[ "${fired:-0}" -eq 0 ] && [ $rc -eq 0 ] && break
		if [ $rc -eq 137 ]; then
			worst="$worst N=$n:hung"
		elif ! clean_end spoold; then
			worst="$worst N=$n:rc=$rc"
			sed "s/^/# N=$n: /" "$W/err" | head -3
		fi
		# A second run, unhindered, finishes the work: nothing lost.
		timeout -s KILL 30 "$BIN/spoold" -d "$W/sp" --stamp --drain --no-sync \
		    2>"$W/err2" || worst="$worst N=$n:rerun-rc=$?"
		k=0
		while read -r id; do
			k=$((k + 1))
			if [ ! -f "$W/sp/done/$id" ]; then
				worst="$worst N=$n:not-done:$(cd "$W/sp" && ls -d */"$id" 2>/dev/null | grep -v meta)"
			elif ! head -c "$(wc -c <"$W/in.$k")" "$W/sp/done/$id" |
			    cmp -s - "$W/in.$k"; then
				worst="$worst N=$n:torn:$id"
			fi
		done <"$W/ids"
		[ $n -lt 5000 ] || { worst="$worst runaway"; break; }
	done
	echo "# figure mallocfail_${mode}_spoold_allocations $((n - 1))"
	if [ -z "$worst" ]; then
		ok "spoold --drain ($mode): allocations 1..$((n - 1)) each failed in turn: clean errors, every job done once after a rerun"
	else
		nok "spoold --drain ($mode): failed allocations:$worst"
	fi
done
exit $failed
