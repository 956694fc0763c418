#!/bin/sh
# pidreuse.sh - a dead consumer's PID handed to another process.
#
# A lease is named HOST:PID, but its holder's liveness is its flock, never
# the PID: once the holder is dead, its lease is dead, whoever has that
# PID now.  In a new PID namespace (unshare --pid --fork --mount-proc) the
# next PID is ours to choose (/proc/sys/kernel/ns_last_pid):
#   1. a consumer holding a job is killed, and its PID goes to a sleep;
#      spooladmin recover returns the job and removes the lease;
#   2. the PID goes to a new consumer, whose lease has the dead one's name:
#      it returns the dead one's job before it takes the name, then runs it.
# Whatever the namespace started dies with it (its init exits).
if [ "$1" = --inside ]; then
	INSIDE=1
	. "$(dirname "$0")/common.sh"
	[ "$$" -eq 1 ] || { nok "in a new PID namespace (pid $$)"; exit 1; }
	# reuse PID: the next fork gets PID (only in a fresh namespace).
	reuse() { echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid; }
	lease_of() { ls "$SP/lease" | grep -c ":$1\$"; }

	J1=$(submit one)
	"$BIN/spoold" -d "$SP" --exec "$W/hold" 2>"$W/a1.log" &
	A=$!
	wait_for 10 in_dir cur "$J1" || nok "case 1: the consumer claimed"
	wait_for 5 ran "$J1" 1
	kill -9 $A
	wait $A 2>/dev/null
	wait_for 5 sh -c "[ -z \"\$(pgrep -f '$W/hold')\" ]"
	reuse $A
	sleep 1000 &
	S=$!
	check "case 1: the dead consumer's PID $A now belongs to a sleep" \
	    test "$S" -eq "$A"
	check "case 1: its lease is still there, under that PID" \
	    test "$(lease_of $A)" -eq 1
	"$BIN/spooladmin" -d "$SP" recover >"$W/recover.out" 2>&1
	sed 's/^/# /' "$W/recover.out"
	check "case 1: recover returns its job to the queue" in_dir new "$J1"
	check "case 1: and removes the dead lease" test -z "$(ls "$SP/lease")"
	check "case 1: the history counts the lost run" \
	    grep -q " recover .*lease=[^ ]*:$A .*attempt=1" "$SP/meta/$J1"
	kill $S
	wait $S 2>/dev/null

	J2=$(submit two)
	"$BIN/spooladmin" -d "$SP" hold "$J1" >/dev/null 2>&1	# only J2 to claim
	"$BIN/spoold" -d "$SP" --exec "$W/hold" 2>"$W/a2.log" &
	A=$!
	wait_for 10 in_dir cur "$J2" || nok "case 2: the consumer claimed"
	wait_for 5 ran "$J2" 1
	kill -9 $A
	wait $A 2>/dev/null
	wait_for 5 sh -c "[ -z \"\$(pgrep -f '$W/hold')\" ]"
	reuse $A
	"$BIN/spoold" -d "$SP" --exec "$W/quick" 2>"$W/b.log" &
	B=$!
	check "case 2: the dead consumer's PID $A now belongs to a new consumer" \
	    test "$B" -eq "$A"
	wait_for 10 in_dir done "$J2"
	check "case 2: the new consumer returned the job of its namesake and ran it" \
	    in_dir done "$J2"
	check "case 2: it ran twice, once on each" test "$(runs "$J2")" -eq 2
	check "case 2: the history has the recovery of the dead lease" \
	    grep -q " recover by=[^ ]*:$A lease=[^ ]*:$A " "$SP/meta/$J2"
	check "case 2: one lease left, the new consumer's" \
	    test "$(ls "$SP/lease" | wc -l)" -eq 1 -a "$(lease_of $A)" = 1
	kill -TERM $B
	wait $B
	check "case 2: the new consumer exits 0" test $? -eq 0
	exit $failed
fi

. "$(dirname "$0")/common.sh"
if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	echo "ok - PID reuse # SKIP cannot make a PID namespace (needs root)"
	exit 0
fi
setup
mkhandler hold 60
mkhandler quick 0
W=$W BIN=$BIN INSIDE=1 unshare --pid --fork --mount-proc \
    sh "$0" --inside
exit $?
