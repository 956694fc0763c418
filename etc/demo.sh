#!/bin/sh
# demo.sh - what `make demo` runs: a spool in ./var/spool, spoolsupervise
# with etc/demo.yaml (a producer of 50 random jobs a second, two stamping
# consumers) in the foreground, a progress line every second, and on
# Ctrl-C a clean stop and a summary of what happened.
#
# The supervisor's log goes to var/demo.log, the IDs the producer printed
# to var/demo.ids.  The spool is kept between runs; done and dead count
# this run only.
cd "$(dirname "$0")/.." || exit 1
BIN=$PWD/bin
SP=./var/spool			# as in etc/demo.yaml
LOG=var/demo.log
IDS=var/demo.ids
SUP=

"$BIN/spooladmin" init "$SP" || exit 1
: >"$IDS"

# queued running waiting done dead, from spoolstat when it is there.
counts() {
	if j=$("$BIN/spoolstat" -d "$SP" --json 2>/dev/null); then
		for k in queued running waiting done dead; do
			printf '%s ' "$(printf '%s' "$j" |
			    sed -n "s/.*\"$k\":\([0-9]*\).*/\1/p")"
		done
	else
		for d in new cur wait done dead; do
			printf '%s ' "$(ls "$SP/$d" | wc -l)"
		done
	fi
}
state() { cat "$SP/run/supervise.state" 2>/dev/null; }
restarts() {
	state | awk '{ for (i = 2; i <= NF; i++) if (sub("^restarts=", "", $i)) n += $i }
	    END { print n + 0 }'
}
children() { state | sed -n 's/^name=[^ ]* pid=\([1-9][0-9]*\) .*/\1/p'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Running: not gone, not a zombie (init may be slow to reap orphans).
alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

set -- $(counts)
done0=$4 dead0=$5
start=$(now_ms)

stop() {
	trap '' INT TERM
	echo
	echo "stopping: producers first, then consumers..."
	kill -TERM "$SUP" 2>/dev/null	# it had the terminal's SIGINT too
	wait "$SUP"
	rc=$?
	set -- $(counts)
	left=
	for p in $pids; do
		alive "$p" && left="$left $p"
	done
	secs=$((($(now_ms) - start) / 1000))
	echo
	echo "in ${secs}s: produced $(wc -l <"$IDS") jobs; done $(($4 - done0)), dead $(($5 - dead0));"
	echo "left queued $1, running $2, waiting $3; consumer and producer restarts: $restarts"
	echo "spoolsupervise exited $rc; ${left:+processes left:}${left:-no process left}"
	echo "log: $LOG   IDs: $IDS   a job: cat $SP/done/$(tail -1 "$IDS")"
	exit 0
}
trap stop INT TERM

"$BIN/spoolsupervise" -c etc/demo.yaml >>"$IDS" 2>"$LOG" &
SUP=$!
echo "spool $SP: a producer at 50 jobs/s, two stamping consumers (etc/demo.yaml)."
echo "Ctrl-C stops it.  Meanwhile, in another terminal, kill a consumer:"
printf '  kill -9 $(sed -n %s %s)\n' \
    "'s/^name=consumer.1 pid=\([0-9]*\).*/\1/p'" "$SP/run/supervise.state"
echo
prev=$done0
prev_t=$start
pids=
restarts=0
while :; do
	sleep 1
	if ! alive "$SUP"; then
		wait "$SUP"
		echo "spoolsupervise stopped by itself (exit $?):"
		tail -5 "$LOG"
		exit 1
	fi
	set -- $(counts)
	t=$(now_ms)
	rate=$(awk -v d=$(($4 - prev)) -v ms=$((t - prev_t)) \
	    'BEGIN { printf "%.1f", (ms > 0 ? d * 1000 / ms : 0) }')
	prev=$4
	prev_t=$t
	pids=$(children)
	restarts=$(restarts)
	printf '%s  produced %6s  queued %4s  running %2s  waiting %3s  done %6s  dead %3s  %6s done/s  restarts %s\n' \
	    "$(date +%T)" "$(wc -l <"$IDS")" "$1" "$2" "$3" $(($4 - done0)) \
	    $(($5 - dead0)) "$rate" "$restarts"
done
