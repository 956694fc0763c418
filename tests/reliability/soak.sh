#!/bin/sh
# soak.sh - a long run under chaos: a producer submits without pause while
# consumers are killed (SIGKILL) at random moments and started again; at
# the end everything is drained and judged by invariant.py: every printed
# ID done, exactly once; reruns (a killed consumer's jobs) are counted.
# SOAK=seconds (default 300), CONSUMERS (default 3).
. "$(dirname "$0")/lib.sh"

SOAK=${SOAK:-300}
CONSUMERS=${CONSUMERS:-3}
SP=$W/sp
"$BIN/spooladmin" init "$SP" || exit 1
"$BIN/spoolsubmit" -d "$SP" --random 0 --size 512 --rate 300 >"$W/acked" 2>"$W/producer.err" &
ppid_=$!
reg_pid $ppid_
start_consumer() {
	"$BIN/spoold" -d "$SP" --stamp -j 2 >/dev/null 2>>"$W/consumers.err" &
	reg_pid $!
	echo $!
}
i=0
pids=
while [ $i -lt "$CONSUMERS" ]; do pids="$pids $(start_consumer)"; i=$((i + 1)); done
kills=0
end=$(($(date +%s) + SOAK))
while [ "$(date +%s)" -lt $end ]; do
	sleep "0.$(shuf -i 1-9 -n 1)"
	victim=$(echo $pids | tr ' ' '\n' | shuf -n 1)
	kill -9 "$victim" 2>/dev/null && kills=$((kills + 1))
	wait "$victim" 2>/dev/null
	pids="$(echo $pids | tr ' ' '\n' | grep -vx "$victim" | tr '\n' ' ') $(start_consumer)"
done
kill -TERM $ppid_
wait $ppid_
for p in $pids; do kill -TERM "$p" 2>/dev/null; done
for p in $pids; do wait "$p" 2>/dev/null; done
"$BIN/spooladmin" -d "$SP" recover --tmp-age 0 >/dev/null 2>&1
"$BIN/spoold" -d "$SP" --stamp --drain 2>/dev/null
# Any job may have been held by a killed consumer: reruns are counted.
if $INV check "$SP" --acked "$W/acked" --held "$W/acked" --random 512 \
    --drained --stamped --label soak >"$W/inv"; then
	ok "soak: ${SOAK}s, $kills consumers killed, $(wc -l <"$W/acked") jobs: $(tail -1 "$W/inv" | cut -d' ' -f3-)"
else
	cat "$W/inv"
	nok "soak: the invariant"
fi
figure soak_seconds "$SOAK"
figure soak_kills $kills
figure soak_jobs "$(wc -l <"$W/acked")"
exit $failed
