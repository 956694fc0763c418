#!/bin/sh
# clockjump.sh - the wall clock jumps a day forward and back mid-run.
#
# Two consumers run under libfaketime, each with its own clock file
# (FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE=1: the offset is read again
# at every call).  A holds a job; the clocks of A, of B and of one-shot
# `spooladmin recover` runs jump +1 day and -1 day.  A live lease is never
# taken early: its expiry is judged on CLOCK_BOOTTIME on the same boot,
# which a wall clock step does not move.  Then A is killed with both
# clocks a day off: its job is recovered at once (liveness is the flock,
# not a time) and done once.
#
# libfaketime fakes CLOCK_MONOTONIC and CLOCK_BOOTTIME too, unless
# FAKETIME_DONT_FAKE_MONOTONIC=1 (which leaves both alone): a real step of
# the wall clock (date -s, NTP) never moves them, so the runs that stand
# for a real clock jump set it.  The last part shows what happens without
# it, where the boot clock itself seems to jump a day: that is a lease
# really overdue by the only clock it is judged by, and it is taken.
. "$(dirname "$0")/common.sh"

FT=$(ls /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
    /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -z "$FT" ]; then
	echo "ok - clock jumps # SKIP libfaketime not installed (apt-get install faketime)"
	exit 0
fi
setup
mkhandler hold 60
mkhandler quick 0
TTL=2s

# faked CLOCKFILE COMMAND...: exec COMMAND with the wall clock of
# CLOCKFILE (in a subshell or in the background: $! is then COMMAND).
faked() {
	_f=$1
	shift
	faked_exec FAKETIME_TIMESTAMP_FILE="$_f" FAKETIME_NO_CACHE=1 \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"
}
set_clock() { echo "$2" >"$W/clock.$1"; }	# set_clock WHO OFFSET
set_clock a +0
set_clock b +0
set_clock admin +0

# The fake clock really is a day off, and the boot clock is not.
set_clock probe +1d
real=$(date +%s)
fake=$( (faked "$W/clock.probe" date +%s) )
check "faketime moves the wall clock a day (+$((fake - real))s)" \
    test $((fake - real)) -ge 86000
boottime='import time; print(int(time.clock_gettime(time.CLOCK_BOOTTIME)))'
boot=$(python3 -c "$boottime")
fboot=$( (faked "$W/clock.probe" python3 -c "$boottime") )
dboot=$( (faked_exec FAKETIME_TIMESTAMP_FILE="$W/clock.probe" python3 \
    -c "$boottime") )
check "with FAKETIME_DONT_FAKE_MONOTONIC=1 CLOCK_BOOTTIME is not faked" \
    test $((fboot - boot)) -lt 60
note "without it libfaketime fakes CLOCK_BOOTTIME too:" \
    "$((dboot - boot))s ahead of the real one"

J=$(submit held)
faked "$W/clock.a" "$BIN/spoold" -d "$SP" --exec "$W/hold" --lease-ttl $TTL \
    2>"$W/a.log" &
A=$!
reg $A
wait_for 10 in_dir cur "$J" || nok "A claimed the job"
faked "$W/clock.b" "$BIN/spoold" -d "$SP" --exec "$W/quick" --lease-ttl $TTL \
    2>"$W/b.log" &
B=$!
reg $B
sleep 1

# held STEP: after a step, A's job is still A's, however long we wait.
held() {
	sleep 3		# more than the ttl, and B looks every second
	(faked "$W/clock.admin" "$BIN/spooladmin" -d "$SP" recover) \
	    >"$W/recover.out" 2>&1 || nok "$1: spooladmin recover failed"
	if in_dir cur "$J" && [ "$(runs "$J")" -eq 1 ] &&
	    ! grep -q " recover " "$SP/meta/$J" 2>/dev/null; then
		ok "$1: the live lease was not taken"
	else
		nok "$1: the live lease was taken ($(runs "$J") runs)"
		sed 's/^/# /' "$SP/meta/$J" 2>/dev/null
	fi
}
set_clock a +1d
held "A's clock +1 day"
set_clock b +1d
set_clock admin +1d
held "A's and B's clocks +1 day"
set_clock a -1d
held "A's clock -1 day, B's +1 day"
set_clock b -1d
set_clock admin -1d
held "A's and B's clocks -1 day"
set_clock a +0
set_clock admin +1d
held "A's clock back, B's -1 day, recover +1 day"

# A dies with B a day behind: its job comes back at once, done once.
t0=$(date +%s%N)
kill -9 $A
wait_for 10 in_dir done "$J"
t1=$(date +%s%N)
check "a dead consumer's job is recovered with the clocks a day off" \
    in_dir done "$J"
figure clock_dead_recovered_ms $(((t1 - t0) / 1000000))
check "it ran twice (A died running it), and is in done/ once" \
    test "$(runs "$J")" -eq 2 -a "$(cd "$SP" && ls -d */"$J" | grep -vc meta/)" -eq 1
check "the history has one recovery, of A's lease" \
    test "$(grep -c " recover .*lease=[^ ]*:$A " "$SP/meta/$J")" -eq 1
kill -TERM $B
wait $B

# Without FAKETIME_DONT_FAKE_MONOTONIC the boot clock jumps too.
J2=$(submit held2)
"$BIN/spoold" -d "$SP" --exec "$W/hold" --lease-ttl $TTL 2>"$W/a2.log" &
A2=$!
reg $A2
wait_for 10 in_dir cur "$J2" || nok "A2 claimed the job"
sleep 0.5
(faked_exec FAKETIME="+1d" "$BIN/spooladmin" -d "$SP" recover) \
    >"$W/recover2.out" 2>&1
# (A2 claims it again at once: the history tells.)
if ! grep -q " recover " "$SP/meta/$J2" 2>/dev/null; then
	note "faked CLOCK_BOOTTIME +1 day: the live lease was not taken"
else
	note "faked CLOCK_BOOTTIME +1 day: the live lease was taken as expired" \
	    "(expected: by its boot clock it is a day overdue; a real clock" \
	    "step never moves CLOCK_BOOTTIME)"
fi
sed 's/^/# /' "$W/recover2.out"
kill -TERM $A2
wait $A2
exit $failed
