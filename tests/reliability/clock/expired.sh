#!/bin/sh
# expired.sh - a consumer stopped (SIGSTOP) past its lease's ttl.
#
# Its lock is still held, so only expiry can free its jobs: another
# consumer takes them back once the lease is ttl old, and runs them.  When
# the stopped one is continued, the handler it had started has finished
# meanwhile; it must notice that the job is no longer its own and leave it
# alone, whether the other consumer still runs it (case 1) or has finished
# it already (case 2).  Either way the job reaches done/ once.
. "$(dirname "$0")/common.sh"
setup
mkhandler short 2	# the stopped consumer's run: over while it is stopped
mkhandler long 4	# the other's run: still going when the first wakes
mkhandler quick 0

# case LABEL HANDLER_OF_B WAIT_FOR_B: the scenario once.
scenario() {
	label=$1
	J=$(submit "$label")
	"$BIN/spoold" -d "$SP" --exec "$W/short" --lease-ttl 1s \
	    2>"$W/a.$label.log" &
	A=$!
	reg $A
	wait_for 10 in_dir cur "$J" || nok "$label: A claimed the job"
	wait_for 5 ran "$J" 1
	kill -STOP $A
	hpid=$(awk -v j="$J" '$2 == j { print $3; exit }' "$W/runs")
	t0=$(date +%s.%N)
	"$BIN/spoold" -d "$SP" --exec "$W/$2" --lease-ttl 1s \
	    2>"$W/b.$label.log" &
	B=$!
	reg $B
	# B takes the job once A's lease has expired, and runs it.
	if wait_for 10 ran "$J" 2; then
		ok "$label: a lease not renewed for its ttl expires: the job is taken" \
		    "($(echo "$(date +%s.%N) - $t0" | bc | cut -c1-4)s)"
	else
		nok "$label: the job of a stopped consumer was never taken"
	fi
	# A's own handler ends while A is stopped (a zombie until A reaps it).
	wait_for 5 sh -c "[ \"\$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' \
	    /proc/$hpid/status 2>/dev/null)\" != S ]"
	[ "$3" = done ] && wait_for 10 in_dir done "$J"
	kill -CONT $A
	sleep 1.5	# A reaps its handler and concludes
	if [ "$3" = running ]; then
		check "$label: the woken consumer left the job B runs in cur/" \
		    in_dir cur "$J"
	fi
	check "$label: the woken consumer did not mark the job done" \
	    test "$(grep -c "event=done id=$J" "$W/a.$label.log")" -eq 0
	wait_for 10 in_dir done "$J"
	check "$label: the job is in done/ once, nowhere else" \
	    test "$(cd "$SP" && ls -d new/"$J" cur/"$J" wait/"$J" hold/"$J" \
	    done/"$J" dead/"$J" 2>/dev/null)" = "done/$J"
	check "$label: the woken consumer says it lost the job" \
	    test "$(grep -c "event=lost id=$J" "$W/a.$label.log")" -eq 1
	check "$label: B completed it" \
	    test "$(grep -c "event=done id=$J" "$W/b.$label.log")" -eq 1
	check "$label: the history has the recovery of A's lease" \
	    grep -q " recover .*lease=[^ ]*:$A " "$SP/meta/$J"
	grep "id=$J" "$W/a.$label.log" | sed 's/^/# A: /'
	kill -TERM $A $B
	wait_for 10 gone $A && wait_for 10 gone $B
	wait $A
	ra=$?
	wait $B
	rb=$?
	check "$label: both consumers exit 0 on SIGTERM" test $ra -eq 0 -a $rb -eq 0
}

scenario running long running
scenario finished quick done
check "nothing left running or queued" test "$(count cur)$(count new)" = 00
exit $failed
