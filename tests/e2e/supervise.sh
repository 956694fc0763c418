#!/bin/sh
# supervise.sh - spoolsupervise end to end: the demo setup drains a finite
# producer, a second supervisor is refused, systemd hears READY=1 and
# STOPPING=1, SIGHUP grows and shrinks the consumers under load without
# losing a job, a crashed producer is restarted, a crash loop shows in the
# state file and the log, and SIGTERM stops everything with exit 0.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/supervise.inc

"$BIN/spooladmin" init "$SP" || exit 1

# The demo's settings, with a producer that stops after 300 jobs.
conf() {	# conf CONSUMERS [PRODUCER-LINE...]
	n=$1
	shift
	{
		echo "spool: $SP"
		echo "consumer: {stamp: true, concurrency: 2}"
		echo "supervise:"
		echo "  consumers: $n"
		echo "  restart: [50ms, 1s]"
		[ $# -gt 0 ] && echo "  producers:"
		for p in "$@"; do echo "    - $p"; done
	} >"$T/c.yaml.new"
	mv "$T/c.yaml.new" "$T/c.yaml"
}
conf 2 '[--random, "300", --size, "64", --rate, "500"]'

# systemd's side of sd_notify: every datagram, a line in $T/notes.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a")
while True:
    out.write(s.recv(4096).decode() + "\n")
    out.flush()
' "$T/notify" "$T/notes" &
LISTENER=$!
wait_for 10 test -S "$T/notify" || nok "notify listener started"

NOTIFY_SOCKET=$T/notify start_super "$T/c.yaml" || nok "supervisor started"
drained() { is "$(field producer.1 last_exit)" exit:0 && [ "$(count done)" -eq 300 ]; }
check "the demo setup drains 300 random jobs" wait_for 30 drained
check "the producer's 300 IDs are on the supervisor's stdout" \
    is "$(sort -u "$T/ids" | wc -l)" 300
check "every printed ID is in done/" is "$(lost done)" 0
check "a finished producer is not restarted" \
    is "$(field producer.1 pid) $(field producer.1 restarts)" "0 0"
check "systemd is told READY=1" wait_for 5 grep -qx READY=1 "$T/notes"
check "systemd hears from the supervisor only" is "$(grep -c . "$T/notes")" 1

out=$("$BIN/spoolsupervise" -c "$T/c.yaml" 2>&1)
rc=$?
check "a second supervisor exits 75" is $rc 75
check "... saying why" eval 'printf "%s\n" "$out" | grep -q "already has a supervisor (pid $SUP)"'

# SIGHUP under load: an endless producer, three consumers, then one.
conf 3 '[--random, "0", --size, "64", --rate, "200"]'
kill -HUP "$SUP"
three() { [ "$(children consumer)" -eq 3 ] && up consumer.3; }
check "SIGHUP to 3 consumers starts consumer.3" wait_for 10 three
check "... and the changed producer runs as producer.2" \
    wait_for 10 up producer.2
check "... and producer.1, whose entry went, is forgotten" \
    is "$(field producer.1 pid)" ""
c1=$(field consumer.1 pid)
p2=$(field producer.2 pid)
wait_for 10 eval '[ "$(count done)" -gt 400 ]'
conf 1 '[--random, "0", --size, "64", --rate, "200"]'
kill -HUP "$SUP"
check "SIGHUP to 1 consumer stops consumer.2 and consumer.3" \
    wait_for 30 eval '[ "$(children consumer)" -eq 1 ]'
check "... and their leases are gone" wait_for 10 eval '[ "$(count lease)" -eq 1 ]'
check "... and consumer.1 and producer.2 kept running" \
    is "$(field consumer.1 pid) $(field producer.2 pid)" "$c1 $p2"

# A producer killed is restarted; one that cannot start is a visible loop.
kill -9 "$p2"
restarted() {
	is "$(field producer.2 last_exit)" signal:9 &&
	    is "$(field producer.2 restarts)" 1 && up producer.2
}
check "a producer killed with -9 is restarted" wait_for 10 restarted
conf 1 '[--random, "0", --size, "64", --rate, "200"]' '[--no-such-flag]'
kill -HUP "$SUP"
looping() {
	is "$(field producer.3 last_exit)" exit:64 &&
	    [ "$(field producer.3 restarts)" -ge 2 ]
}
check "a crash loop shows in the state file (restarts, last_exit)" \
    wait_for 15 looping
check "... and in the log" grep -q "event=exit name=producer.3 status=exit:64" "$T/log"

stop_super
check "SIGTERM: the supervisor exits 0" is "$RC" 0
check "systemd is told STOPPING=1" wait_for 5 grep -qx STOPPING=1 "$T/notes"
kill "$LISTENER"
check "no process is left" wait_for 5 none_left || show_left
check "no job is left running" is "$(count cur)" 0
# Stopped producers first: every ID printed is queued or done, once.
check "no printed ID is lost" is "$(lost new done)" 0
check "no job is both queued and done" is "$(doubled new done)" 0
check "the state file is removed" test ! -e "$SP/run/supervise.state"
exit $failed
