#!/bin/sh
# valgrind.sh - spoold under valgrind (memcheck, --track-fds=yes) until it
# has drained JOBS jobs (default 10000) with --stamp and -j 4, then 300
# jobs with --exec (children, pipes), 50 of which fail and come back
# through wait/, and the tools on the result.  Passes when valgrind sees
# no error, no leak of any kind (definite, indirect, possible, reachable:
# a daemon that exits cleanly frees everything), and no descriptor open at
# exit beyond stdin, stdout and stderr.  Forked children that do not exec
# (spoold's reaper) are not judged (--child-silent-after-fork): they hold
# their parent's heap and descriptors by design and end with _exit.
#   BIN=programs (default build/bin: the plain build, -O2 -g)
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
JOBS=${JOBS:-10000}
W=$(mktemp -d /tmp/spool-valgrind.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP
failed=0
ok() { printf 'ok - %s\n' "$*"; }
nok() { printf 'not ok - %s\n' "$*"; failed=1; }
command -v valgrind >/dev/null || { echo "ok - valgrind # SKIP not installed"; exit 0; }

VG="valgrind -q --leak-check=full --show-leak-kinds=all
    --errors-for-leak-kinds=all --track-fds=yes --error-exitcode=99
    --child-silent-after-fork=yes"

# judge LABEL LOG RC: valgrind's verdict from its log.
judge() {
	errs=$(grep -c '^==[0-9]*== .*\(Invalid\|uninitialised\|Mismatched\|definitely\|indirectly\|possibly\|still reachable\)' "$2")
	# Descriptors open at exit that the program opened itself (not
	# inherited from the shell, nor valgrind's log).
	fds=$(awk '/Open (file descriptor|AF_[A-Z0-9]* socket)/ { fd = $0; next }
	    fd != "" { if ($0 !~ /inherited from parent/) n++; fd = "" }
	    END { print n + 0 }' "$2")
	echo "# figure valgrind_${1}_leaked_fds $fds"
	if [ "$3" -eq 0 ] && [ "$errs" -eq 0 ] && [ "$fds" -eq 0 ]; then
		ok "valgrind $1: no error, no leak, no descriptor left open"
	else
		nok "valgrind $1: exit $3, $errs error/leak lines, $fds descriptors left open (log below)"
		grep '^==' "$2" | head -40 | sed 's/^/# /'
	fi
}

"$BIN/spooladmin" init "$W/sp" >/dev/null || exit 1
"$BIN/spoolsubmit" -d "$W/sp" --no-sync --random "$JOBS" --size 64 >/dev/null
t0=$(date +%s)
$VG --log-file="$W/vg.stamp" "$BIN/spoold" -d "$W/sp" --stamp --drain \
    --no-sync -j 4 2>"$W/log.stamp" </dev/null
rc=$?
echo "# figure valgrind_stamp_jobs $(ls "$W/sp/done" | wc -l) in $(($(date +%s) - t0))s"
[ "$(ls "$W/sp/done" | wc -l)" -eq "$JOBS" ] || nok "valgrind stamp: not every job done"
judge stamp "$W/vg.stamp" $rc

printf '#!/bin/sh\ncat >/dev/null\ncase "$SPOOL_JOB_ID" in *[05].*) [ "$SPOOL_ATTEMPT" -gt 1 ] || exit 1;; esac\nexit 0\n' >"$W/h.sh"
chmod +x "$W/h.sh"
"$BIN/spoolsubmit" -d "$W/sp" --no-sync --random 300 --size 64 >/dev/null
$VG --log-file="$W/vg.exec" "$BIN/spoold" -d "$W/sp" --exec "$W/h.sh" \
    --drain --no-sync -j 4 --backoff 10ms,20ms 2>"$W/log.exec" </dev/null
rc=$?
judge exec "$W/vg.exec" $rc
[ "$(ls "$W/sp/done" | wc -l)" -eq $((JOBS + 300)) ] ||
    nok "valgrind exec: not every job done ($(ls "$W/sp/done" | wc -l))"

for t in "spoolstat" "spoolstat ls" "spoolstat --json" "spoolstat --prometheus" \
    "spooladmin check" "spooladmin recover"; do
	set -- $t
	p=$1
	shift
	$VG --log-file="$W/vg.tool" "$BIN/$p" -d "$W/sp" "$@" >/dev/null 2>&1 </dev/null
	rc=$?
	[ "$p" = spooladmin ] && [ "$1" = check ] && [ $rc -eq 65 ] && rc=0
	judge "$(echo "$t" | tr ' -' '__')" "$W/vg.tool" $rc
done
exit $failed
