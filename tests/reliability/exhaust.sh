#!/bin/sh
# exhaust.sh - real resource exhaustion, no injection:
#   - a spool on a tiny tmpfs filled to the brim: spoolsubmit exits 75 and
#     leaves nothing behind; a running consumer backs off and resumes when
#     space returns; nothing is lost;
#   - the same with the tmpfs's inodes used up (nr_inodes=);
#   - fs.inotify.max_queued_events set low (and restored) and a burst of
#     jobs: the consumer's overflow rescan finds them all.
# MODE=short: a smaller burst.
. "$(dirname "$0")/lib.sh"

BURST=${BURST:-20000}
[ "$MODE" = short ] && BURST=${BURST_SHORT:-2000}
PAY=$W/pay
$INV mkjobs "$PAY" 6 x 4096 >/dev/null	# whole pages: a stamp needs a new one

tmpfs() {	# tmpfs DIR OPTIONS
	mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" && reg_mount "$1"
}

# Fill DIR's file system to the brim: data, or (inodes) empty files.
fill_space() { dd if=/dev/zero of="$1/.fill" bs=4k 2>/dev/null; sync; }
fill_inodes() {
	mkdir -p "$1/.inodes"
	_i=0
	while touch "$1/.inodes/$_i" 2>/dev/null; do _i=$((_i + 1)); done
}

# submit_refused SPOOL WHAT: spoolsubmit exits 75, says why, leaves nothing.
submit_refused() {
	_before=$(ls "$1/new" "$1/tmp" | wc -l)
	"$BIN/spoolsubmit" -d "$1" "$PAY/x-6" >"$W/out" 2>"$W/err"
	rc=$?
	if [ $rc -eq 75 ] && [ ! -s "$W/out" ] &&
	    grep -q "^spoolsubmit: unable to .*: No space left on device$" "$W/err" &&
	    [ "$(ls "$1/new" "$1/tmp" | wc -l)" -eq "$_before" ]; then
		ok "$2: spoolsubmit exits 75, prints no ID, leaves nothing in tmp/ or new/"
	else
		nok "$2: spoolsubmit exit $rc, out '$(cat "$W/out")', err '$(cat "$W/err")', tmp/: $(ls "$1/tmp" | wc -l)"
	fi
}

# full KIND: a consumer running when the file system fills up.
full() {	# full space|inodes OPTIONS
	D=$W/fs.$1
	tmpfs "$D" "$2" || { nok "$1: cannot mount a tmpfs"; return; }
	SP=$D/sp
	"$BIN/spooladmin" init "$SP" || return
	for i in 1 2 3 4 5; do cp "$PAY/x-$i" "$SP/tmp/x-$i"; done
	"$BIN/spoold" -d "$SP" --stamp --backoff 100ms,1s 2>"$W/spoold.$1" &
	dpid=$!
	reg_pid $dpid
	wait_for 10 sh -c "ls '$SP/lease' | grep -q ."
	fill_$1 "$D"
	submit_refused "$SP" "$1 full"
	# Jobs arrive the shell way (a rename needs no space) while full.
	for i in 1 2 3 4 5; do mv "$SP/tmp/x-$i" "$SP/new/x-$i"; done
	sleep 2
	claims=$(grep -c 'event=claim' "$W/spoold.$1")
	$INV check "$SP" --label "$1 full" >"$W/inv" ||
	    { cat "$W/inv"; nok "$1 full: the invariant, while full"; }
	gone $dpid && nok "$1 full: spoold died: $(tail -1 "$W/spoold.$1")"
	# At most a few tries a second while full, not a busy loop.
	if [ "$claims" -le 100 ]; then
		ok "$1 full: the consumer backs off ($claims claims in 2s)"
	else
		nok "$1 full: the consumer spins: $claims claims in 2s"
	fi
	rm -rf "$D/.fill" "$D/.inodes"
	if wait_for 60 sh -c "[ \$(ls '$SP/done' | wc -l) -eq 5 ]"; then
		ok "$1 full: space returned, the consumer resumed: 5 of 5 done"
	else
		nok "$1 full: after space returned: done $(count "$SP/done") new $(count "$SP/new") cur $(count "$SP/cur") wait $(count "$SP/wait")"
	fi
	kill -TERM $dpid
	wait $dpid
	"$BIN/spoolsubmit" -d "$SP" "$PAY/x-6" >"$W/acked" ||
	    nok "$1: spoolsubmit once space returned"
	"$BIN/spoold" -d "$SP" --stamp --drain 2>/dev/null
	if $INV check "$SP" --acked "$W/acked" --drained --stamped --label "$1" \
	    >"$W/inv" && [ "$(count "$SP/done")" -eq 6 ]; then
		ok "$1: nothing lost: 6 of 6 done, each once ($(tail -1 "$W/inv" | cut -d' ' -f3-8))"
	else
		cat "$W/inv"
		nok "$1: after the drain"
	fi
	umount "$D"
}

for k in ${FULL_KINDS:-space inodes}; do
	case $k in
	space) full space size=1m,nr_inodes=1000 ;;
	inodes) full inodes size=64m,nr_inodes=64 ;;
	esac
done

# A burst past a small inotify queue: the overflow rescan finds them all.
reg_sysctl fs.inotify.max_queued_events
sysctl -q -w fs.inotify.max_queued_events=16 || { nok "cannot set max_queued_events"; exit 1; }
SP=$W/burst
"$BIN/spooladmin" init "$SP"
"$BIN/spoold" -d "$SP" --stamp -j 4 --no-sync 2>"$W/spoold.burst" &
dpid=$!
reg_pid $dpid
wait_for 10 sh -c "ls '$SP/lease' | grep -q ."
# The daemon's inotify queue is sized now; put the setting back at once.
sysctl -q -w fs.inotify.max_queued_events="$(awk '$1 == "sysctl" { print $3 }' "$W/.undo")"
"$BIN/spoolsubmit" -d "$SP" --random "$BURST" --size 100 >"$W/acked" ||
    nok "burst: spoolsubmit"
if wait_for 600 sh -c "[ \$(ls '$SP/done' | wc -l) -ge $BURST ]"; then
	ok "burst: $BURST jobs past a 16-event inotify queue, all done"
else
	nok "burst: done $(count "$SP/done") of $BURST, new $(count "$SP/new")"
fi
kill -TERM $dpid
wait $dpid
$INV check "$SP" --acked "$W/acked" --random 100 --drained --stamped \
    --label burst >"$W/inv" || { cat "$W/inv"; nok "burst: the invariant"; }
figure burst_jobs $BURST
exit $failed
