#!/bin/sh
# supervise_kill.sh - deaths: a consumer killed with -9 has its job back in
# the queue at once and what its handler started is killed; the supervisor
# killed with -9 leaves no process behind; a new supervisor recovers every
# job.  Also spoold's READY=1 / STOPPING=1 on an abstract notify socket.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/supervise.inc

"$BIN/spooladmin" init "$SP" || exit 1

# A handler that starts a child of its own, then waits: both sleep $MARK.
cat >"$T/handler" <<EOF
#!/bin/sh
sleep $MARK &
echo \$! >"$T/orphan.\$\$"
exec sleep $MARK
EOF
chmod +x "$T/handler"
cat >"$T/c.yaml" <<EOF
spool: $SP
consumer: {exec: "$T/handler", concurrency: 1, grace: 1s}
supervise: {consumers: 2, restart: [50ms, 1s]}
EOF
start_super "$T/c.yaml" || nok "supervisor started"
"$BIN/spoolsubmit" -d "$SP" --random 3 >"$T/ids"
wait_for 10 eval '[ "$(count cur)" -eq 2 ] && [ "$(ls "$T" | grep -c orphan)" -eq 2 ]'

# Consumer 1's handler script (its child, or grandchild under a sh -c
# that did not exec) wrote orphan.PID; its job is in its environment.
c1=$(field consumer.1 pid)
for f in "$T"/orphan.*; do
	p=${f##*.}
	pp=$(ps -o ppid= -p "$p" | tr -d ' ')
	[ "$pp" = "$c1" ] || [ "$(ps -o ppid= -p "$pp" | tr -d ' ')" = "$c1" ] &&
	    script=$p
done
orphan=$(cat "$T/orphan.$script")
job=$(tr '\0' '\n' <"/proc/$script/environ" | sed -n 's/^SPOOL_JOB_ID=//p')
kill -9 "$c1"
check "a consumer killed with -9 has its job back in the queue at once" \
    wait_for 1 grep -qs "recover by=" "$SP/meta/$job"
check "... and it is restarted" wait_for 5 eval 'up consumer.1 && [ "$(field consumer.1 pid)" != "$c1" ]'
# Its handler died with it (PR_SET_PDEATHSIG); the handler's own child was
# reparented to the supervisor, which killed it.
check "... and what its handler started is killed" \
    wait_for 5 eval 'dead "$script" && dead "$orphan"'
check "the supervisor logged the death" \
    grep -q "event=exit name=consumer.1 status=signal:9 " "$T/log"

stop_super
check "SIGTERM stops it all with exit 0" is "$RC" 0
check "... leaving no process" wait_for 5 none_left || show_left
check "... and no job running" is "$(count cur)" 0

# The supervisor killed with -9: its consumers die of it, their handlers
# of that.  (What a handler starts would be left to init: under systemd,
# KillMode=mixed takes it.  So these handlers exec sleep.)
cat >"$T/c.yaml" <<EOF
spool: $SP
consumer: {exec: "exec sleep $MARK; :", concurrency: 1, grace: 1s}
supervise: {consumers: 2, restart: [50ms, 1s]}
EOF
start_super "$T/c.yaml" || nok "supervisor started again"
wait_for 10 eval '[ "$(count cur)" -eq 2 ]'
kill -9 "$SUP"
wait "$SUP" 2>/dev/null
check "kill -9 of the supervisor leaves no process behind" \
    wait_for 5 none_left || show_left
check "... and its consumers' jobs in cur/" is "$(count cur)" 2
# Each held job and how many recoveries its history shows so far.
held=$(for j in $(ls "$SP/cur"); do
	echo "$j:$(grep -cs "recover by=" "$SP/meta/$j")"
done)

# A new supervisor returns them to the queue before it starts anything.
: >"$T/log"
start_super "$T/c.yaml" || nok "supervisor started a third time"
# (A job claimed a moment ago may be judged on the next pass, and a new
# consumer's own recovery may come first.)
recovered() {
	for h in $held; do
		[ "$(grep -cs "recover by=" "$SP/meta/${h%:*}")" -gt "${h##*:}" ] ||
		    return 1
	done
}
check "a restarted supervisor recovers every job" wait_for 5 recovered
stop_super
check "it stops with exit 0" is "$RC" 0
check "no job is lost" is "$(lost new cur done)" 0
check "no process is left after SIGTERM" wait_for 5 none_left || show_left

# spoold alone tells systemd too, here on an abstract socket.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
out = open(sys.argv[2], "a")
out.write("bound\n")
out.flush()
while True:
    out.write(s.recv(4096).decode() + "\n")
    out.flush()
' "spool-test-$$" "$T/notes" &
LISTENER=$!
wait_for 10 grep -qs bound "$T/notes"
NOTIFY_SOCKET=@spool-test-$$ "$BIN/spoold" -d "$SP" --stamp 2>>"$T/log" &
D=$!
check "spoold tells READY=1 on an abstract socket" wait_for 10 grep -qsx READY=1 "$T/notes"
kill -TERM $D
wait $D
check "... and STOPPING=1 when it stops" wait_for 5 grep -qx STOPPING=1 "$T/notes"
kill "$LISTENER"
exit $failed
