#!/bin/sh
# faults.sh - error injection into the programs: every point (each call of
# open, read, write, pwrite, fsync, syncfs, close, rename, unlink, mkdir,
# ftruncate, utimensat, futimens, flock made after the spool is named) x
# {EIO, ENOSPC}, plus EINTR and short counts on read/write/pwrite, through
# the LD_PRELOAD shim faultshim.c, for each path of tpl.sh.  Each trial:
#   - the program exits 0, or with the documented code (EIO 74, ENOSPC 75)
#     and a message "PROGRAM: unable to ...: <strerror>";
#   - EINTR and short counts are invisible (exit 0);
#   - no ID is printed by a commit whose fsync failed;
#   - a spoold that went on after the fault drained the queue itself;
#   - then, fault cleared, recovery and a drain: the invariant holds.
# MODE=short tries the fsync, syncfs and rename points of two paths.
. "$(dirname "$0")/lib.sh"

if [ "$MODE" = short ]; then
	SCENARIOS=${SCENARIOS:-"submitN done"}
	OPS=${OPS:-"fsync syncfs renameat2 pwrite"}
else
	SCENARIOS=${SCENARIOS:-"submit1 submitN defer done retry dead requeue
	    cancel hold release recover startup"}
	OPS=${OPS:-"openat open read write pwrite fsync fdatasync syncfs close
	    renameat2 renameat unlinkat mkdirat ftruncate utimensat futimens flock"}
fi
SHIM=$W/faultshim.so
# An ASan build lets the shim come first.
ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0
export ASAN_OPTIONS
${CC:-cc} -shared -fPIC -O2 -o "$SHIM" "$REL/faultshim.c" -ldl || exit 1
. "$REL/tpl.sh"
make_templates

code_of() { case $1 in EIO) echo 74 ;; ENOSPC) echo 75 ;; *) echo 0 ;; esac; }
text_of() {
	case $1 in
	EIO) echo "Input/output error" ;;
	ENOSPC) echo "No space left on device" ;;
	esac
}

# One trial: the path with one fault, judged.
trial() {	# trial SCENARIO OP NTH ERR
	_what="$1: $2 #$3 $4"
	prepare
	rm -f "$T/out" "$T/fired" "$T/runs.0"
	[ -f "$T/runs" ] && cp "$T/runs" "$T/runs.0"
	timeout 30 env LD_PRELOAD="$SHIM" SHIM_OP=$2 SHIM_NTH=$3 SHIM_ERR=$4 \
	    SHIM_FIRED="$T/fired" $RUN >"$T/out" 2>"$T/err"
	rc=$?
	unhold
	TRIALS=$((TRIALS + 1))
	if [ ! -s "$T/fired" ]; then
		NOTREACHED=$((NOTREACHED + 1))
		return
	fi
	FIRED=$((FIRED + 1))
	_where=$(head -1 "$T/fired" | cut -d' ' -f4-)
	_prog=$(basename "$(echo "$RUN" | cut -d' ' -f1)")
	case $4 in
	EINTR | SHORT) _want=0 ;;
	*) _want=$(code_of "$4") ;;
	esac
	if [ $rc -eq 124 ]; then
		nok "$_what ($_where): hung"
		return
	elif [ $rc -ne 0 ] && [ $rc -ne "$_want" ]; then
		nok "$_what ($_where): exit $rc, expected 0 or $_want: $(tail -1 "$T/err")"
		return
	elif [ $rc -ne 0 ] &&
	    ! grep -q "^$_prog: .*: $(text_of "$4")\$" "$T/err"; then
		nok "$_what ($_where): no message with the cause: $(tail -1 "$T/err")"
		return
	fi
	[ $rc -ne 0 ] && FAILED_CLEANLY=$((FAILED_CLEANLY + 1))
	# A failed sync acknowledges nothing (one commit per run here).
	case $2 in
	fsync | fdatasync | syncfs)
		if [ "$_prog" = spoolsubmit ] && [ -s "$T/out" ]; then
			nok "$_what ($_where): printed an ID after a failed $2"
			return
		fi ;;
	esac
	# A consumer that carried on must have drained the queue itself.
	if [ "$_prog" = spoold ] && [ $rc -eq 0 ] && [ -z "$HOLDER" ] &&
	    [ "$(count "$SP/new")$(count "$SP/cur")$(count "$SP/wait")" != 000 ]; then
		nok "$_what ($_where): spoold --drain ended with jobs left" \
		    "(new $(count "$SP/new"), cur $(count "$SP/cur"), wait $(count "$SP/wait"))"
		return
	fi
	# The job the fault hit may run again (its run failed); so may the
	# template's orphans.
	{ cat "$T/held.tpl" 2>/dev/null; basename "$_where"; } >"$T/held"
	"$BIN/spooladmin" -d "$SP" recover --tmp-age 0 >/dev/null 2>&1
	if ! $INV check "$SP" --acked "$T/acked" --acked "$T/out" \
	    --allow-resubmit --held "$T/held" $EXTRA --label "$_what" >"$T/inv1"; then
		cat "$T/inv1"
		nok "$_what ($_where): after the fault"
		return
	fi
	timeout 60 "$BIN/spoold" -d "$SP" $FIN --drain 2>/dev/null
	if ! $INV check "$SP" --acked "$T/acked" --acked "$T/out" --drained \
	    --allow-resubmit --held "$T/held" $EXTRA --label "$_what" >"$T/inv2"; then
		cat "$T/inv2"
		nok "$_what ($_where): after the fault cleared and a drain"
		return
	fi
	PASSED=$((PASSED + 1))
}

TRIALS=0 FIRED=0 NOTREACHED=0 PASSED=0 FAILED_CLEANLY=0
for s in $SCENARIOS; do
	scenario "$s"
	prepare
	rm -f "$T/counts"
	timeout 30 env LD_PRELOAD="$SHIM" SHIM_COUNTS="$T/counts" $RUN \
	    >"$T/out" 2>"$T/err"
	rc=$?
	unhold
	[ $rc -eq 0 ] || { nok "$s: the fault-free run exited $rc"; continue; }
	cp "$T/counts" "$W/counts.$s"
	f0=$failed
	failed=0
	k0=$FIRED
	for op in $OPS; do
		n=$(awk -v o="$op" '$1 == o { print $2 }' "$W/counts.$s")
		[ -n "$n" ] || continue
		errs=
		for e in ${FAULT_ERRS:-EIO ENOSPC EINTR SHORT}; do
			case $e:$op in
			EINTR:read | EINTR:write | EINTR:pwrite) ;;
			SHORT:read | SHORT:write | SHORT:pwrite) ;;
			EINTR:* | SHORT:*) continue ;;
			esac
			errs="$errs $e"
		done
		i=1
		while [ $i -le "$n" ]; do
			for e in $errs; do
				trial "$s" "$op" $i $e
			done
			i=$((i + 1))
		done
	done
	if [ $failed -eq 0 ]; then
		ok "$s: $((FIRED - k0)) faults injected: clean exits, nothing lost, drained once cleared"
	else
		nok "$s: fault injection"
	fi
	[ $f0 -eq 1 ] && failed=1
done
figure fault_trials $TRIALS
figure faults_injected $FIRED
figure faults_failed_cleanly $FAILED_CLEANLY
figure faults_passed $PASSED
exit $failed
