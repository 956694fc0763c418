#!/bin/sh
# power.sh - power cuts in durable mode, on a loop-mounted ext4 and xfs.
#
# Each path runs under strace, held (delay_enter) on entry to its Nth fsync,
# syncfs or rename; the file system is then cut with `xfs_io -x -c
# shutdown` (no log flush: what was not committed to the journal is lost,
# as at a power cut), the process killed, the file system unmounted and
# mounted again (journal replay), the spool recovered and judged: every
# acknowledged job (its ID printed, or queued before the path began) is
# intact in exactly one place, no job file is empty or torn.
#
# The test of the test: the producer path again with spoolsubmit built
# without its data fsync, then without its fsync of new/ (sed-patched
# copies of the sources built in a temporary directory): each must fail.
# MODE=short: ext4 only, the producer and the stamping consumer.
. "$(dirname "$0")/lib.sh"

FSES=${FSES:-"ext4 xfs"}
PATHS=${PATHS:-"produce consume bury hold"}
CALLS=${POWER_CALLS:-fsync,fdatasync,syncfs,renameat2,rename}
[ "$MODE" = short ] && FSES=${FSES_SHORT:-ext4} PATHS=${PATHS_SHORT:-"produce consume"}
for t in xfs_io mkfs.xfs mkfs.ext4 losetup strace; do
	command -v $t >/dev/null || { echo "# power.sh needs $t"; exit 1; }
done
PAY=$W/pay
$INV mkjobs "$PAY" 8 w >/dev/null
cat >"$W/h_dead" <<'H'
#!/bin/sh
exit 65
H
chmod +x "$W/h_dead"

# A file system in an image, mounted at $W/mnt.FS through a loop device
# that mount(8) sets up with autoclear: it goes with the last unmount,
# even a lazy one at cleanup.
mkfs_mount() {	# mkfs_mount FS
	IMG=$W/img.$1
	truncate -s 320M "$IMG" || return 1
	case $1 in
	ext4) mkfs.ext4 -q -F "$IMG" ;;
	xfs) mkfs.xfs -q -f "$IMG" ;;
	esac || return 1
	MNT=$W/mnt.$1
	mkdir -p "$MNT"
	mount -o loop "$IMG" "$MNT" || return 1
	reg_mount "$MNT"
}

# A fresh spool on it, with its base jobs queued and synced.
fresh() {	# fresh PATH
	rm -rf "$MNT/sp"
	"$BIN/spooladmin" init "$MNT/sp" || return 1
	: >"$W/base"
	case $1 in
	consume | bury | hold)
		"$BIN/spoolsubmit" -d "$MNT/sp" "$PAY"/w-* >"$W/base" || return 1 ;;
	esac
	sync
}

path_cmd() {	# path_cmd PATH SUBMIT_BIN
	case $1 in
	produce) echo "$2 -d $MNT/sp --random 6 --size 700 --rate 100" ;;
	consume) echo "$BIN/spoold -d $MNT/sp --stamp --drain" ;;
	bury) echo "$BIN/spoold -d $MNT/sp --exec $W/h_dead --drain" ;;
	hold) echo "$BIN/spooladmin -d $MNT/sp hold $(tr '\n' ' ' <"$W/base")" ;;
	esac
}

sysno() {
	case $1 in
	fsync) echo 74 ;; fdatasync) echo 75 ;; syncfs) echo 306 ;;
	rename) echo 82 ;; renameat2) echo 316 ;;
	esac
}

# Is the process held by its tracer on entry to syscall NR?
at_point() {	# at_point PID NR
	[ -z "$1" ] && return 0
	gone "$1" && return 0
	[ "$(pstate "$1")" = t ] &&
	    [ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = "$2" ]
}

# One cut: stop at call N of NAME, cut, remount, recover, judge.  Returns
# 0 judged ok, 1 judged bad, 2 the point was not reached.
power_cut() {	# power_cut FS PATH NAME N SUBMIT_BIN
	fresh "$2" || return 1
	cmd=$(path_cmd "$2" "$5")
	rm -f "$W/out"
	# Held on entry to the call, before it runs (delay_enter; a signal
	# would only be taken after the call).
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -o "$W/strace.log" -e trace="$3" \
	    -e inject="$3":delay_enter=60000000:when=$4 $cmd >"$W/out" 2>"$W/err" &
	spid=$!
	reg_pid $spid
	wait_for 20 sh -c "pgrep -P $spid >/dev/null || ! kill -0 $spid 2>/dev/null"
	tpid=$(pgrep -P $spid | head -1)
	[ -n "$tpid" ] && reg_pid "$tpid"
	# At the point (stopped by the tracer in that very call), or done.
	nr=$(sysno "$3")
	wait_for 20 at_point "$tpid" "$nr"
	if [ -z "$tpid" ] || gone "$tpid"; then
		wait $spid 2>/dev/null
		return 2
	fi
	cp "$W/out" "$W/acked.now"	# printed before the cut
	xfs_io -x -c shutdown "$MNT" || { nok "$1: xfs_io shutdown"; return 1; }
	kill -9 "$tpid" 2>/dev/null
	kill -9 "$spid" 2>/dev/null
	wait $spid 2>/dev/null
	wait_for 10 gone "$tpid"
	umount "$MNT" || { sleep 0.5; umount "$MNT"; } || { nok "$1: umount"; return 1; }
	mount -o loop "$IMG" "$MNT" || { nok "$1: mount after the cut"; return 1; }
	CUTS=$((CUTS + 1))
	# Jobs not durably finished when the power went may run again.
	ls "$MNT/sp/cur" "$MNT/sp/new" >"$W/held" 2>/dev/null
	"$BIN/spooladmin" -d "$MNT/sp" recover --tmp-age 0 >/dev/null 2>&1
	case $2 in
	produce) _x="--random 700" ;;
	consume) _x="--held $W/held" ;;
	*) _x= ;;
	esac
	if ! $INV check "$MNT/sp" --acked "$W/base" --acked "$W/acked.now" $_x \
	    --label "$1 $2 $3 #$4" >"$W/inv"; then
		cp "$W/inv" "$W/inv.bad"
		return 1
	fi
	[ "$2" = hold ] && return 0
	timeout 60 "$BIN/spoold" -d "$MNT/sp" --stamp --drain 2>/dev/null
	$INV check "$MNT/sp" --acked "$W/base" --acked "$W/acked.now" $_x \
	    --drained --label "$1 $2 $3 #$4 drained" >"$W/inv" ||
	    { cp "$W/inv" "$W/inv.bad"; return 1; }
	return 0
}

# Every fsync, syncfs and rename of a path: "NAME COUNT" lines.
points() {	# points PATH SUBMIT_BIN
	fresh "$1" || return 1
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -o "$W/rec.log" -e trace="$CALLS" \
	    $(path_cmd "$1" "$2") >/dev/null 2>&1
	awk '/^[a-z0-9]+\(/ { n = $0; sub(/\(.*/, "", n); c[n]++ }
	    END { for (n in c) print n, c[n] }' "$W/rec.log"
}

# All the cuts of one path; prints how many were judged bad.
run_path() {	# run_path FS PATH SUBMIT_BIN
	_bad=0
	points "$2" "$3" >"$W/pts"
	while read -r name n; do
		i=1
		while [ $i -le "$n" ]; do
			power_cut "$1" "$2" "$name" $i "$3" </dev/null
			case $? in
			1) _bad=$((_bad + 1)); cat "$W/inv.bad" 2>/dev/null | sed 's/^/# /' | head -5 ;;
			esac
			i=$((i + 1))
		done
	done <"$W/pts"
	return $_bad
}

# The variants that must fail: spool's sources, one fsync taken out.
variant() {	# variant NAME FILE SED
	mkdir -p "$W/src.$1"
	cp -r "$ROOT/spool" "$ROOT/tools" "$ROOT/daemons" "$ROOT/Makefile" "$W/src.$1/"
	sed -i "$3" "$W/src.$1/$2"
	if cmp -s "$ROOT/$2" "$W/src.$1/$2"; then
		nok "variant $1: the sed did not change $2"
		return 1
	fi
	make -s -C "$W/src.$1" B=b b/bin/spoolsubmit >/dev/null 2>&1 ||
	    { nok "variant $1: build failed"; return 1; }
	echo "$W/src.$1/b/bin/spoolsubmit"
}

CUTS=0 VCUTS=0
for fs in $FSES; do
	mkfs_mount "$fs" || { nok "$fs: cannot make and mount a loop file system"; continue; }
	for p in $PATHS; do
		c0=$CUTS
		run_path "$fs" "$p" "$BIN/spoolsubmit"
		b=$?
		if [ $b -eq 0 ]; then
			ok "$fs: $p: $((CUTS - c0)) power cuts, every acknowledged job intact in one place"
		else
			nok "$fs: $p: $b of $((CUTS - c0)) power cuts lost or tore a job"
		fi
	done
	# The test of the test.
	if [ "${TESTTEST:-1}" = 1 ]; then
		for v in nodatasync nodirsync; do
			case $v in
			nodatasync) vb=$(variant $v spool/submit.c \
			    's/rc = spool_fsync(sp, s->p\[last\].fd);/rc = 0;/; s/rc = spool_sys.syncfs(s->p\[last\].fd);/rc = 0;/') ;;
			nodirsync) vb=$(variant $v spool/io.c \
			    's/if (spool_sys.fsync(sp->dir\[i\]) < 0 \&\& rc == 0)/if (0)/') ;;
			esac
			[ -n "$vb" ] && [ -x "$vb" ] || { nok "$fs: variant $v: not built"; continue; }
			c0=$CUTS
			run_path "$fs" produce "$vb" >/dev/null
			b=$?
			VCUTS=$((VCUTS + CUTS - c0))
			if [ $b -gt 0 ]; then
				ok "$fs: test of the test: spoolsubmit without its $v fsync loses or tears acknowledged jobs in $b of $((CUTS - c0)) cuts, and this test says so"
			else
				nok "$fs: test of the test: spoolsubmit without its $v fsync passed $((CUTS - c0)) cuts"
			fi
		done
	fi
	umount "$MNT"
done
figure power_cuts $((CUTS - VCUTS))
figure power_cuts_test_of_test $VCUTS
exit $failed
