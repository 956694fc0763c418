# common.sh - what the lease and clock tests share, sourced: a work
# directory with a spool, handlers, bounded waits, and a cleanup that kills
# every process the test started (each is registered) and removes the
# directory.  Results are "ok - what" / "not ok - what"; "# figure NAME
# VALUE" lines carry numbers.

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
# INSIDE=1: a part run in a namespace by its test, with W set and no
# cleanup of its own (the namespace's end kills what it started).
[ -n "$INSIDE" ] || W=$(mktemp -d /tmp/spool-clock.XXXXXX) || exit 1
SP=$W/spool
failed=0
PIDS=

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; failed=1; }
check() {	# check DESCRIPTION COMMAND...
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
note() { echo "# $*"; }
figure() { echo "# figure $1 $2"; }

reg() { PIDS="$PIDS $*"; }
# Every process whose command line names the work directory.
ours() {
	grep -l -a -F -e "$W" /proc/[0-9]*/cmdline 2>/dev/null |
	    sed 's|^/proc/\([0-9]*\)/cmdline$|\1|' | grep -vx "$$"
}
cleanup() {
	for _p in $PIDS $(ours); do
		kill -CONT "$_p" 2>/dev/null
		kill -9 "$_p" 2>/dev/null
	done
	# The handlers die with their spoold (PR_SET_PDEATHSIG); wait for it.
	sleep 0.2
	# What libfaketime left of the processes run under it (faked_exec),
	# now gone (or zombies): a PID alive again is another's.
	for _p in $(cat "$W/faketime.pids" 2>/dev/null); do
		case $(pstate "$_p") in
		'' | Z) rm -f "/dev/shm/faketime_shm_$_p" \
		    "/dev/shm/sem.faketime_sem_$_p" ;;
		esac
	done
	[ -n "$KEEP" ] || rm -rf "$W"
}
if [ -z "$INSIDE" ]; then
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
fi

# wait_for SECONDS COMMAND...: poll every 20 ms until COMMAND succeeds.
wait_for() {
	_n=$(($1 * 50))
	shift
	until "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.02
	done
}

count() { ls "$SP/$1" 2>/dev/null | wc -l; }
in_dir() { [ -e "$SP/$1/$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
# A process's state letter (R S T Z...), nothing once it is gone.
pstate() { sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
stopped() { [ "$(pstate "$1")" = T ]; }
# How many times the handlers ran job $1 (they log "run ID PID").
runs() { grep -c "^run $1 " "$W/runs" 2>/dev/null; }
ran() { [ "$(runs "$1")" -ge "$2" ]; }	# ran ID N: at least N runs
# Lines of a spoold log for one event and job: "event=done id=X".
logged() { grep -c "event=$2 id=$3\( \|$\)" "$1" 2>/dev/null; }

# A handler that logs its run and then holds the job SECONDS (exec: the
# sleep is the handler, and dies with its spoold).
mkhandler() {	# NAME SECONDS
	cat >"$W/$1" <<EOF
#!/bin/sh
echo "run \$SPOOL_JOB_ID \$\$" >>"$W/runs"
exec sleep $2
EOF
	chmod +x "$W/$1"
}

submit() { echo "$1" | "$BIN/spoolsubmit" -d "$SP"; }

# libfaketime (0.9.10) gives a process started under it that inherits no
# shared state (FAKETIME_SHARED) a semaphore and a shared memory object
# named after its PID, /dev/shm/sem.faketime_sem_PID and faketime_shm_PID,
# to pass on to its children, and removes them at exit only if it is still
# the program that made them: not when it is killed (kill -9), nor when it
# has exec'ed another (env in a #! line, the shim that python3 may be).
# Its README says to delete such leftovers by hand; a later one in a PID's
# place can make libfaketime fail ("shm_open failed: File exists").  The
# tests use none of that state (it is for FAKETIME_DONT_RESET, ticks, and
# saved time files).  Later versions make none with FAKETIME_DISABLE_SHM=1;
# 0.9.10 has no such switch, so each command run under libfaketime goes
# through faked_exec, which notes its PID, and cleanup removes what those
# PIDs left.
#
# faked_exec VAR=VALUE... COMMAND...: exec COMMAND under libfaketime ($FT)
# with those variables (in a subshell or in the background: $! is then
# COMMAND's PID).
faked_exec() {
	exec sh -c 'echo $$ >>"$0"; exec env "$@"' "$W/faketime.pids" \
	    LD_PRELOAD="$FT" FAKETIME_DISABLE_SHM=1 "$@"
}

setup() {
	"$BIN/spooladmin" init "$SP" >/dev/null || exit 1
	: >"$W/runs"
}
