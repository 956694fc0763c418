#!/bin/sh
# crash.sh - a crash at every syscall: each role and path of spool is run
# once under strace to record its syscalls, then again once per call that
# can change the disk, killed (SIGKILL) on entry to that call; recovery
# runs, the invariant is judged, the spool is drained, and judged again.
#
# Only calls made after the program first names the spool are tried (the
# dynamic loader's are not interesting), and only those that change what is
# on disk or who holds what (open, write, fsync, rename, unlink, close,
# flock, ...): a kill on entry to any other call leaves the disk as a kill
# on entry to the next of these does.  exit_group is tried too (the end).
#
# MODE=short tries the renames and syncs of a few paths (make check);
# MODE=full tries every point of every path.
. "$(dirname "$0")/lib.sh"

SET=openat,open,creat,write,writev,pwrite64,pwritev,fsync,fdatasync,syncfs
SET=$SET,close,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat
SET=$SET,utimensat,ftruncate,flock,link,linkat,fallocate,exit_group
if [ "$MODE" = short ]; then
	SCENARIOS=${SCENARIOS:-"submitN done retry recover"}
	ONLY=${ONLY:-renameat2,fsync,syncfs}
else
	SCENARIOS=${SCENARIOS:-"submit1 submitN defer done retry dead requeue
	    cancel hold release recover reclaim startup"}
	ONLY=${ONLY:-$SET}
fi
. "$REL/tpl.sh"
make_templates
: >"$W/points"

# judge LABEL: recover, judge, drain, judge.
judge() {
	cat "$T/held.tpl" "$T/held.now" 2>/dev/null >"$T/held"
	"$BIN/spooladmin" -d "$SP" recover --tmp-age 0 >/dev/null 2>"$T/rec.err" ||
	    { nok "$1: recover: $(cat "$T/rec.err")"; return; }
	if ! $INV check "$SP" --acked "$T/acked" --acked "$T/out" \
	    --held "$T/held" $EXTRA --label "$1" >"$T/inv1"; then
		cat "$T/inv1"
		nok "$1: after the crash and recovery"
		return
	fi
	timeout 60 "$BIN/spoold" -d "$SP" $FIN --drain 2>"$T/drain.err" ||
	    { nok "$1: drain exited $?"; tail -3 "$T/drain.err"; return; }
	if ! $INV check "$SP" --acked "$T/acked" --acked "$T/out" \
	    --held "$T/held" $EXTRA --drained --label "$1" >"$T/inv2"; then
		cat "$T/inv2"
		nok "$1: after the drain"
		return
	fi
	PASSED=$((PASSED + 1))
	tail -1 "$T/inv2" | grep -o 'reruns=[0-9]* handler_reruns=[0-9]*' |
	    awk -v l="$1" '{ print l, $0 }' >>"$W/reruns"
}

# Syscalls made after the spool was first named: "NAME BEFORE COUNT".
points() {
	awk -v sp="$SP" -v set=",$ONLY," '
	{
		name = $0
		sub(/\(.*/, "", name)
		if (!seen && index($0, sp))
			seen = 1
		if (index(set, "," name ",") == 0)
			next
		if (seen)
			cnt[name]++
		else
			pre[name]++
	}
	END { for (n in cnt) print n, pre[n] + 0, cnt[n] }' "$1"
}

TRIALS=0 KILLED=0 PASSED=0 FAILS0=0
for s in $SCENARIOS; do
	scenario "$s"
	prepare
	rm -f "$T/out"
	# (LeakSanitizer cannot run under ptrace: an ASan build is traced
	# without it.)
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -o "$T/rec.log" -e trace=$SET $RUN >"$T/out" 2>"$T/err"
	rc=$?
	unhold
	if [ $rc -ne 0 ]; then
		nok "$s: the untraced-for-faults run exited $rc: $(tail -1 "$T/err")"
		continue
	fi
	: >"$T/held.now"
	judge "$s (no crash)"
	points "$T/rec.log" >"$W/pts.$s"
	n0=$TRIALS k0=$KILLED f0=$failed p0=$PASSED
	failed=0
	while read -r name pre cnt; do
		i=1
		while [ $i -le "$cnt" ]; do
			when=$((pre + i))
			i=$((i + 1))
			prepare
			rm -f "$T/out" "$T/held.now"
			ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 \
			    timeout -s KILL 60 strace -o "$T/kill.log" -e trace="$name" \
			    -e inject="$name":signal=KILL:when=$when $RUN \
			    >"$T/out" 2>"$T/err"
			TRIALS=$((TRIALS + 1))
			if ! grep -q 'killed by SIGKILL' "$T/kill.log"; then
				unhold
				echo "$s $name $when notreached" >>"$W/points"
				continue
			fi
			KILLED=$((KILLED + 1))
			ls "$SP/cur" >"$T/held.now"
			wait_for 10 sh -c "! pgrep -f '$W/[h]_' >/dev/null"
			unhold
			pt=$(grep -v '^+++' "$T/kill.log" | tail -1 |
			    sed -E 's/[0-9]{10}\.[0-9]{9}\.[0-9]+\.[A-Za-z0-9_-]+/ID/g; s/ += \?$//')
			echo "$s $name $when $pt" >>"$W/points"
			judge "$s: kill at $name #$when: $pt"
		done
	done <"$W/pts.$s"
	if [ $failed -eq 0 ]; then
		ok "$s: $((KILLED - k0)) crash points, recovered, nothing lost or torn, reruns only of held jobs"
	else
		nok "$s: crash points"
	fi
	[ $f0 -eq 1 ] && failed=1
done
distinct=$(awk '$3 != "notreached" { $3 = ""; print }' "$W/points" | sort -u | wc -l)
reruns=$(sed -n 's/.* reruns=\([0-9]*\) handler_reruns=\([0-9]*\)$/\1 \2/p' "$W/reruns" |
    awk '{ n += $1 + $2 } END { print n + 0 }')
figure crash_trials $TRIALS
figure crash_points $KILLED
figure crash_points_distinct $distinct
figure crash_passed $PASSED
figure crash_reruns ${reruns:-0}
exit $failed
