#!/bin/sh
# queue.sh - two consumers (spoold --stamp) and 5,000 jobs: submitted
# before they start, durable and --no-sync, then submitted while they run.
# Every ID spoolsubmit printed ends in done/ with exactly one stamp line,
# by one of the two, nothing is left anywhere else, no job needed a
# history, and both consumers exit 0 on SIGTERM.  Prints the time each
# round took (lines starting with #).
. "$(dirname "$0")/core.inc"

N=${QUEUE_JOBS:-5000}

# start: two consumers, in $a and $b, once they hold their leases.
start() {
	spoold --stamp -j 4 $1
	a=$SPOOLD
	spoold --stamp -j 4 $1
	b=$SPOOLD
	wait_for 20 has_count lease 2 || nok "consumers never took their leases"
}

# run LABEL live|backlog FLAGS: one round on a fresh spool; live submits
# while the consumers run (inotify brings the jobs), backlog before they
# start (their scans find them).
run() {
	rm -rf "$SP"
	"$BIN/spooladmin" init "$SP" || exit 1
	[ "$2" = live ] && start "$3"
	t0=$(ms)
	"$BIN/spoolsubmit" -d "$SP" $3 --random "$N" --size 256 >"$T/ids" ||
	    nok "$1: spoolsubmit failed"
	t1=$(ms)
	t2=$(ms)
	[ "$2" = backlog ] && start "$3"
	check "$1: spoolsubmit printed $N IDs" is "$(sort -u "$T/ids" | wc -l)" "$N"
	check "$1: all $N jobs done" wait_for 60 has_count done "$N"
	t3=$(ms)
	if [ "$2" = live ]; then
		note "$1: $N jobs submitted in $((t1 - t0)) ms while 2" \
		    "consumers ran, all done $((t3 - t1)) ms later"
	else
		note "$1: $N jobs submitted in $((t1 - t0)) ms; 2 consumers" \
		    "started then did them all in $((t3 - t2)) ms"
	fi
	stop "$a"
	sa=$STATUS
	stop "$b"
	check "$1: both consumers exit 0 on SIGTERM" is "$sa $STATUS" "0 0"

	# Each printed ID is in done/ with one stamp, by one of the two.
	bad=0 by_a=0 by_b=0
	cd "$SP/done" || exit 1
	while read -r id; do
		[ -f "$id" ] || { bad=$((bad + 1)); continue; }
	done <"$T/ids"
	cd - >/dev/null
	check "$1: every printed ID is in done/" is "$bad" 0
	stamps=$(cat "$SP"/done/* | grep -c '^processed ')
	check "$1: exactly one stamp per job" is "$stamps" "$N"
	multi=$(grep -c '^processed ' "$SP"/done/* | grep -vc ':1$')
	check "$1: no job stamped twice" is "$multi" 0
	by_a=$(cat "$SP"/done/* | grep -c ":$a\$")
	by_b=$(cat "$SP"/done/* | grep -c ":$b\$")
	check "$1: every stamp by one of the two consumers" is \
	    "$((by_a + by_b))" "$N"
	note "$1: consumer A did $by_a jobs, consumer B $by_b"
	check "$1: new/ cur/ wait/ dead/ tmp/ empty" is \
	    "$(count new)$(count cur)$(count wait)$(count dead)$(count tmp)" 00000
	check "$1: no job needed a history" is "$(count meta)" 0
	check "$1: no lease left" is "$(count lease)" 0
}

run durable backlog ""
run no-sync backlog --no-sync
run "durable, live" live ""
exit $failed
