#!/bin/sh
# signals.sh - spoold and its handlers under signals.  kill -9 of spoold:
# its handler is gone within a second.  SIGTERM: no new claim, a running
# handler finishes within the grace and its job is done, exit 0; a handler
# still running when the grace is over is killed (SIGKILL if it ignores
# SIGTERM) and its job returned to new/, uncounted.  SIGHUP reads the
# configuration again: a new concurrency takes effect.
. "$(dirname "$0")/core.inc"

# The handler logs its start, then does what the job's first line says:
# "sleep N", "stubborn N" (ignores SIGTERM), "gate" (waits for $T/gate).
# The sleeps are exec'ed: a child of the handler would outlive a spoold
# killed with SIGKILL (only spoolsupervise reaps those), and hold our
# stdout open.
cat >"$T/h.sh" <<EOF
#!/bin/sh
echo "\$\$ \$SPOOL_JOB_ID" >>"$T/started"
read -r what arg <"\$SPOOL_JOB_PATH"
case \$what in
sleep)	exec sleep "\$arg" ;;
stubborn) trap '' TERM
	exec sleep "\$arg" ;;
gate)	while [ ! -e "$T/gate" ]; do sleep 0.05; done ;;
esac
echo "\$SPOOL_JOB_ID" >>"$T/ended"
EOF
chmod +x "$T/h.sh"
: >"$T/started"
: >"$T/ended"
started() { grep -q " $1\$" "$T/started"; }
hpid() { grep " $1\$" "$T/started" | tail -1 | cut -d' ' -f1; }
ncur() { has_count cur "$1"; }

# kill -9 of spoold while its handler sleeps.
j=$(submit "sleep 30")
spoold --exec "$T/h.sh"
D=$SPOOLD
wait_for 20 started "$j" || nok "the handler never started"
h=$(hpid "$j")
kill -9 "$D"
wait "$D" 2>/dev/null
check "kill -9 spoold: its handler is gone within a second" wait_for 1 dead "$h"
rm -f "$SP/cur/$j"

# SIGTERM: the running handler finishes within the grace; nothing new.
k=$(submit "sleep 1")
spoold --exec "$T/h.sh" -j 1 --grace 10s
D=$SPOOLD
wait_for 20 started "$k" || nok "sleep 1 never started"
l=$(submit "sleep 0")
t0=$(ms)
stop "$D"
t=$(($(ms) - t0))
check "SIGTERM: spoold exits 0" is "$STATUS" 0
check "SIGTERM: the running handler finished, its job is done" in_state "$k" done
check "SIGTERM: spoold waited for it (${t} ms)" test "$t" -ge 300
check "SIGTERM: no new claim" in_state "$l" new
check "SIGTERM: no lease left" has_count lease 0
rm -f "$SP/new/$l"

# SIGTERM, and handlers that outlast the grace: one that obeys SIGTERM,
# one that ignores it.
for kind in sleep stubborn; do
	m=$(submit "$kind 30")
	spoold --exec "$T/h.sh" --grace 1s
	D=$SPOOLD
	wait_for 20 started "$m" || nok "$kind: never started"
	h=$(hpid "$m")
	t0=$(ms)
	stop "$D"
	t=$(($(ms) - t0))
	check "past the grace ($kind): spoold exits 0" is "$STATUS" 0
	check "past the grace ($kind): within $t ms" test "$t" -lt 6000
	check "past the grace ($kind): the handler is gone" dead "$h"
	check "past the grace ($kind): its job is back in new/" in_state "$m" new
	check "past the grace ($kind): returned, not counted" is \
	    "$(events "$m" return) $(events "$m" retry) $(events "$m" recover)" \
	    "1 0 0"
	rm -f "$SP/new/$m"
done

# SIGHUP: concurrency 1, then 3.
printf 'consumer:\n  concurrency: 1\n' >"$T/conf.yaml"
for i in 1 2 3 4; do submit gate >/dev/null; done
spoold -c "$T/conf.yaml" --exec "$T/h.sh"
D=$SPOOLD
wait_for 20 ncur 1 || nok "SIGHUP: the first job never ran"
sleep 0.5
check "concurrency 1: one job at a time" ncur 1
printf 'consumer:\n  concurrency: 3\n' >"$T/conf.yaml"
kill -HUP "$D"
check "SIGHUP: concurrency 3 in effect" wait_for 10 ncur 3
check "SIGHUP: logged" wait_for 5 grep -q 'event=reload' "$T/spoold.log"
touch "$T/gate"
check "SIGHUP: all four done" wait_for 20 has_count done 5
stop "$D"
check "SIGHUP: spoold still exits 0 on SIGTERM" is "$STATUS" 0
exit $failed
