#!/bin/sh
# kill9.sh - kill -9 of a consumer in the middle of a job, 20 times.  Two
# consumers run a handler that logs its start and its end around a short
# sleep; the victim is killed while one of its handlers runs, its handler
# must be gone within a second, and a new victim is started.  In the end
# every job is in done/ once, every job cut short was recovered (its
# history says so) and ran again to its end, and no job ran more often
# than its recoveries explain.  Then the victim is killed three more times
# without a restart: the time until the survivor claims its job is shown.
. "$(dirname "$0")/core.inc"

KILLS=20
cat >"$T/h.sh" <<EOF
#!/bin/sh
# The consumer that runs us: our parent, or sh's between us.
p=\$PPID
read -r c </proc/\$p/comm
[ "\$c" = spoold ] || read -r _ _ _ p _ </proc/\$p/stat
echo "start \$SPOOL_JOB_ID \$SPOOL_ATTEMPT \$p" >>"$T/log"
sleep 0.3
echo "end \$SPOOL_JOB_ID \$SPOOL_ATTEMPT \$p" >>"$T/log"
EOF
chmod +x "$T/h.sh"
: >"$T/log"
: >"$T/ids"

more() {	# more N: N more jobs
	_i=0
	while [ $_i -lt "$1" ]; do
		submit "job $_i" >>"$T/ids"
		_i=$((_i + 1))
	done
}
consumer() {
	spoold --exec "$T/h.sh" -j 2 --max-attempts 1000 --backoff 50ms,100ms
}
# running PID: the jobs whose handler under consumer PID started and has
# not ended.
running() {
	awk -v p="$1" '$4 == p && $1 == "start" { s[$2] = 1 }
	    $4 == p && $1 == "end" { delete s[$2] }
	    END { for (k in s) print k }' "$T/log"
}
mid_job() { [ -n "$(running "$1")" ]; }
children() { awk -v p="$1" '$4 == p { print FILENAME }' /proc/[0-9]*/stat 2>/dev/null |
    sed 's|/proc/\([0-9]*\)/stat|\1|'; }

more 60
consumer
A=$SPOOLD
consumer
B=$SPOOLD
kills=0 midjob=0 orphans=0
: >"$T/killed"
while [ $kills -lt $KILLS ]; do
	[ "$(count new)" -lt 4 ] && more 10
	if ! wait_for 15 mid_job "$B"; then
		nok "victim $kills never started a job"
		break
	fi
	kids=$(children "$B")
	running "$B" >>"$T/killed"
	kill -9 "$B"
	wait "$B" 2>/dev/null
	kills=$((kills + 1))
	midjob=$((midjob + 1))
	wait_for 1 gone $kids || orphans=$((orphans + 1))
	consumer
	B=$SPOOLD
done
check "$KILLS consumers killed in the middle of a job" is "$midjob" "$KILLS"
check "their handlers gone within a second, every time" is "$orphans" 0

total=$(wc -l <"$T/ids")
check "all $total jobs done" wait_for 60 has_count done "$total"
stop "$A"
sa=$STATUS
stop "$B"
check "the consumers left exit 0 on SIGTERM" is "$sa $STATUS" "0 0"
check "nothing left in new/ cur/ wait/ dead/" is \
    "$(count new)$(count cur)$(count wait)$(count dead)" 0000
notdone=0 twice=0
while read -r id; do
	[ "$(where "$id")" = done ] || notdone=$((notdone + 1))
done <"$T/ids"
check "every job in done/ and only there" is "$notdone" 0

# Every job cut short was recovered and ran again to its end; no job ran
# more often than once plus its recoveries.
sort -u "$T/killed" >"$T/killed.u"
norec=0 noend=0 extra=0 recovered=0
while read -r id; do
	[ "$(events "$id" recover)" -ge 1 ] || norec=$((norec + 1))
	grep -q "^end $id " "$T/log" || noend=$((noend + 1))
done <"$T/killed.u"
while read -r id; do
	r=$(events "$id" recover)
	s=$(grep -c "^start $id " "$T/log")
	[ "$s" -le $((r + 1)) ] || extra=$((extra + 1))
	recovered=$((recovered + r))
done <"$T/ids"
check "jobs cut short: $(wc -l <"$T/killed.u"), each one recovered" is "$norec" 0
check "each of them ran again to its end" is "$noend" 0
check "no job ran more than once plus its recoveries" is "$extra" 0
note "$total jobs, $(grep -c '^start ' "$T/log") handler runs," \
    "$recovered recoveries"

# A killed consumer's job claimed again by the other, which finds the dead
# lease on its own (no restart, no supervisor).
consumer
A=$SPOOLD
times=
for k in 1 2 3; do
	more 4
	consumer
	B=$SPOOLD
	wait_for 15 mid_job "$B" || { nok "victim never started a job"; break; }
	job=$(running "$B" | head -1)
	t0=$(ms)
	kill -9 "$B"
	wait "$B" 2>/dev/null
	if wait_for 10 grep -q "^start $job [0-9]* $A\$" "$T/log"; then
		times="$times $(($(ms) - t0))"
	else
		nok "the survivor never claimed $job"
	fi
done
check "the survivor claimed each killed consumer's job" is \
    "$(echo $times | wc -w)" 3
note "kill -9 to the job claimed again by the other consumer:$times ms"
stop "$A"
exit $failed
