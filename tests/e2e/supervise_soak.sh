#!/bin/sh
# supervise_soak.sh - kill -9 a random consumer every 200 to 450 ms for
# SPOOL_SOAK seconds (8 by default, 20 for the figures we report) while a
# producer submits SPOOL_SOAK_RATE jobs a second (100) to three stamping
# consumers.  Then every submitted job is in done/ exactly once, and the
# handler re-runs are no more than the kills: --stamp appends one line a
# run, so the lines beyond one a job are re-runs.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/supervise.inc

SOAK=${SPOOL_SOAK:-8}
RATE=${SPOOL_SOAK_RATE:-100}
N=$((SOAK * RATE))
"$BIN/spooladmin" init "$SP" || exit 1
cat >"$T/c.yaml" <<EOF
spool: $SP
consumer: {stamp: true, concurrency: 2}
supervise:
  consumers: 3
  producers:
    - [--random, "$N", --size, "128", --rate, "$RATE"]
  restart: [20ms, 200ms]
EOF
start_super "$T/c.yaml" || nok "supervisor started"

random() { od -An -N1 -tu1 /dev/urandom | tr -d ' '; }
kills=0
end=$(($(date +%s) + SOAK))
while [ "$(date +%s)" -lt $end ]; do
	pid=$(field consumer.$(($(random) % 3 + 1)) pid)
	if [ "${pid:-0}" -gt 0 ] && kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	sleep "$(printf '0.%03d' $((200 + $(random))))"
done

drained() { is "$(field producer.1 last_exit)" exit:0 && [ "$(count done)" -ge $N ]; }
check "all $N jobs are done after $kills kills in ${SOAK}s" wait_for 60 drained
check "the producer printed $N IDs" is "$(sort -u "$T/ids" | wc -l)" $N
nlost=$(lost done)
check "no job is lost" is "$nlost" 0
check "no job is in another state too" is "$(doubled new cur wait dead done)" 0
check "no job is left elsewhere" \
    is "$(count new) $(count cur) $(count wait) $(count dead)" "0 0 0 0"
runs=$(cat "$SP"/done/* | grep -c '^processed ')
reruns=$((runs - $(count done)))
check "re-runs ($reruns) are no more than kills ($kills)" [ $reruns -le $kills ]
restarts=$(awk '/^name=consumer/ { for (i = 2; i <= NF; i++) if (sub("^restarts=", "", $i)) n += $i } END { print n + 0 }' \
    "$SP/run/supervise.state")
if is "$restarts" "$kills"; then
	ok "every kill was a restart ($restarts)"
else
	nok "every kill was a restart ($restarts)"
	grep "event=exit name=consumer" "$T/log" | grep -v "status=signal:9 " |
	    sed 's/^/# /'
fi
recovered=$(sed -n 's/.*event=recover .* jobs=\([0-9]*\).*/\1/p' "$T/log" |
    awk '{ n += $1 } END { print n + 0 }')
echo "# soak: seconds=$SOAK kills=$kills jobs=$N done=$(count done) lost=$nlost reruns=$reruns recovered_by_supervisor=$recovered restarts=$restarts"

stop_super
check "the supervisor exits 0" is "$RC" 0
check "no process is left" wait_for 5 none_left || show_left
exit $failed
