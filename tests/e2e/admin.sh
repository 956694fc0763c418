#!/bin/sh
# admin.sh - spooladmin end to end: hold, release, cancel, requeue, purge,
# each recorded in the job's history with who and when; hostile IDs refuse
# the whole call before anything moves; unknown IDs are reported and the
# rest done; --dry-run changes nothing; IDs piped from spoolstat, hostile
# names included; recover after a kill -9; check and check --repair; and
# the cancel of a running job, whose handler must stop within a second.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/ops.inc

ad() { "$BIN/spooladmin" -d "$SP" "$@"; }
st() { "$BIN/spoolstat" -d "$SP" "$@"; }
"$BIN/spooladmin" init "$SP" || exit 1
TS='[0-9-]*T[0-9:.]*Z'

"$BIN/spooladmin" --help >/dev/null
check "--help exits 0" is $? 0
check "--version names the program" eval '"$BIN/spooladmin" --version | grep -q "^spooladmin [0-9]"'
for args in "" "frob" "requeue" "purge" "purge new" "hold --bogus x" "check --dead"; do
	ad $args >/dev/null 2>&1
	check "usage error exits 64: spooladmin $args" is $? 64
done
"$BIN/spooladmin" -d "$T/none" hold x 2>/dev/null
check "a missing spool exits 66" is $? 66

submit a b c d e
set -- $(cat "$T/ids")
A=$1 B=$2 C=$3 D=$4 E=$5
ad hold "$A" "$B" 2>"$T/err"
check "hold: two jobs held" is "$(where "$A") $(where "$B")" "hold hold"
check "hold: the count on stderr" grep -qx "spooladmin: held 2 of 2 job(s)" "$T/err"
check "hold: recorded with who and when" grep -qx "$TS hold by=$ME from=queued" "$SP/meta/$A"
ad release "$A" 2>/dev/null
check "release: back in the queue, recorded" eval \
    '[ "$(where "$A")" = new ] && grep -qx "$TS release by=$ME from=held" "$SP/meta/$A"'
printf 'spool: %s\n' "$SP" >"$T/c.yaml"
"$BIN/spooladmin" -c "$T/c.yaml" release "$B" 2>/dev/null
check "-c FILE names the spool" is "$(where "$B")" new
SPOOL_DIR=$SP "$BIN/spooladmin" hold "$B" 2>/dev/null
check "SPOOL_DIR names the spool" is "$(where "$B")" hold
"$BIN/spooladmin" release "$B" -d "$SP" 2>/dev/null
check "-d DIR after the verb" is "$(where "$B")" new
"$BIN/spooladmin" hold -c "$T/c.yaml" "$B" 2>/dev/null
check "-c FILE after the verb" is "$(where "$B")" hold
"$BIN/spooladmin" -d "$T/none" release -- -d "$SP" 2>/dev/null
check "after --, -d is an ID (and a path no ID): 65" is $? 65
ad cancel "$C" 2>/dev/null
check "cancel: a queued job goes to dead, recorded" eval \
    '[ "$(where "$C")" = dead ] && grep -qx "$TS cancel by=$ME from=queued" "$SP/meta/$C"'
check "cancel: ls shows who cancelled it" eval 'st ls dead | grep -q "cancelled by $ME"'

# Requeue resets the attempts; a waiting job can be requeued too.
printf '%s\n' "2026-01-01T00:00:00.000Z retry by=h:1 attempt=1 status=\"exit 1\" error=x" \
    "2026-01-01T00:00:01.000Z dead by=h:1 attempt=2 status=\"exit 1\" error=x" >"$SP/meta/$D"
mv "$SP/new/$D" "$SP/dead/$D"
check "requeue: the dead job had 2 attempts" is "$(st ls --attempts 2 -i)" "$D"
ad requeue --dead 2>"$T/err"
check "requeue --dead: both dead jobs queued" is "$(where "$C") $(where "$D")" "new new"
check "requeue --dead: attempts reset" is "$(st ls --attempts 1 -c)" 0
check "requeue: recorded with who and whence" grep -qx "$TS requeue by=$ME from=dead" "$SP/meta/$D"
mv "$SP/new/$E" "$SP/wait/$E"
touch -d '1 hour' "$SP/wait/$E"
ad requeue "$E" 2>/dev/null
check "requeue: a waiting job is queued at once" is "$(where "$E")" new

# Hostile IDs: the whole call is refused, nothing moves.
long=$(printf '%0300d' 0)
for bad in "../x" "a/b" "" "$long" ".."; do
	ad hold "$B" "$bad" "$A" 2>"$T/err"
	rc=$?
	check "hostile ID '$(printf %.12s "$bad")': exit 65, nothing moved" eval \
	    '[ $rc -eq 65 ] && [ "$(where "$A")" = new ] && grep -q "invalid ID" "$T/err"'
done
printf '%s\n' "$A" "../etc" | ad hold - 2>/dev/null
rc=$?
check "hostile ID on stdin: exit 65, nothing moved" eval '[ $rc -eq 65 ] && [ "$(where "$A")" = new ]'

# Unknown IDs: reported, the others done, exit 66.
ad hold nosuch "$A" 2>"$T/err"
rc=$?
check "unknown ID: exit 66, the others acted on" eval \
    '[ $rc -eq 66 ] && [ "$(where "$A")" = hold ] && grep -qx "spooladmin: nosuch: no such job" "$T/err"'
ad release "$C" 2>"$T/err"
rc=$?
check "release of a queued job: refused, exit 65, said why" eval \
    '[ $rc -eq 65 ] && grep -q "cannot release $C: it is queued" "$T/err"'
ad hold "$A" 2>"$T/err"
check "hold of a held job: it is held already" grep -q "it is held already" "$T/err"

# IDs piped from spoolstat, names with control characters included.
EVIL=$(printf 'evil\033[31mred\nline')
printf x >"$SP/dead/$EVIL"
printf x >"$SP/dead/back\\slash"
st ls dead -i | ad requeue - 2>"$T/err"
check "spoolstat ls dead -i | spooladmin requeue -: hostile names too" eval \
    '[ -e "$SP/new/$EVIL" ] && [ -e "$SP/new/back\\slash" ] && [ "$(count dead)" = 0 ]'
check "... counted on stderr" grep -qx "spooladmin: requeued 2 of 2 job(s)" "$T/err"

# --dry-run changes nothing, on every verb that changes something.
snap() { (cd "$SP" && ls -R new cur wait hold done dead tmp lease && cat meta/* 2>/dev/null) | cksum; }
printf x >"$SP/done/finished"
printf x >"$SP/dead/buried"
before=$(snap)
ad requeue -n --dead >"$T/out" 2>/dev/null
check "requeue --dead -n: says what it would do" grep -qx "would requeue buried (dead)" "$T/out"
ad cancel --dry-run "$B" >/dev/null 2>&1
ad hold -nv "$C" >/dev/null 2>&1
ad release -n "$A" >/dev/null 2>&1
ad purge -n done >"$T/out" 2>/dev/null
check "purge -n: says what it would do" grep -qx "would purge finished (done)" "$T/out"
ad recover -n >/dev/null 2>&1
ad check --repair -n >/dev/null 2>&1
check "--dry-run on every verb: nothing changed" is "$(snap)" "$before"

# purge, with and without an age.
printf x >"$SP/done/young"
touch "$T/t0"
sleep 1.1	# purge ages are real time: the jobs must grow older than 1s
printf x >"$SP/done/newest"
echo "2026-01-01T00:00:00.000Z requeue by=x from=done" >"$SP/meta/finished"
ad purge done --older-than 1s 2>"$T/err"
check "purge --older-than: only the old ones, their history too" eval \
    '[ "$(ls "$SP/done")" = newest ] && [ ! -e "$SP/meta/finished" ]'
check "purge: the count on stderr" grep -qx "spooladmin: purged 2 of 2 job(s)" "$T/err"
ad purge dead 2>/dev/null
check "purge dead: all of them" is "$(count dead)" 0

# A consumer killed with -9: recover returns its job.
cat >"$T/h.sh" <<EOF
#!/bin/sh
echo \$\$ >"$T/hpid.\$SPOOL_JOB_ID"
case \$(cat) in
stubborn) trap '' TERM ;;
esac
n=0
while [ \$n -lt 1500 ]; do sleep 0.02; n=\$((n + 1)); done
EOF
chmod +x "$T/h.sh"
rm -rf "$SP"/new/* "$SP"/hold/* "$SP"/done/* "$SP"/meta/* "$T/ids"
submit slow
R=$(cat "$T/ids")
run_spoold --exec "$T/h.sh" --grace 300ms
check "recover: the job is running" wait_for 10 test -s "$T/hpid.$R"
kill -9 "$SPOOLD"
wait "$SPOOLD" 2>/dev/null
before=$(snap)
# A job claimed within a tick of a recovery is left for the next pass.
orphaned() { ad recover -n >"$T/out" 2>/dev/null; grep -q "^would recover cur/$R: orphan job" "$T/out"; }
check "recover -n: what it would do, nothing done" eval \
    'wait_for 5 orphaned && grep -q "^would recover lease/.*: dead lease" "$T/out" && [ "$(snap)" = "$before" ]'
ad recover 2>"$T/err"
check "recover: the job is back, the lease gone, said so" eval \
    '[ "$(where "$R")" = new ] && [ "$(count lease)" = 0 ] && grep -q "1 job(s) returned to the queue, 1 dead lease(s) removed" "$T/err"'
check "recover: recorded in the history" grep -q " recover by=" "$SP/meta/$R"

# cancel of a running job: the handler is stopped within a second.
ms() { date +%s%3N; }
gone() { ! kill -0 "$1" 2>/dev/null; }
run_spoold --exec "$T/h.sh" --grace 300ms
rm -f "$T"/hpid.*
check "cancel: the job runs again" wait_for 10 test -s "$T/hpid.$R"
hp=$(cat "$T/hpid.$R")
ad hold "$R" 2>"$T/err"
check "hold of a running job: refused, with a hint" grep -q "it is running (cancel it" "$T/err"
t0=$(ms)
ad cancel "$R" 2>/dev/null
wait_for 5 gone "$hp"
t1=$(ms)
check "cancel: the handler is stopped within a second ($((t1 - t0)) ms)" \
    eval 'gone "$hp" && [ $((t1 - t0)) -lt 1000 ]'
check "cancel: the job is dead, marked cancelled by us" eval \
    '[ "$(where "$R")" = dead ] && grep -qx "$TS cancel by=$ME from=running" "$SP/meta/$R" &&
     st ls dead | grep -q "cancelled by $ME"'
check "cancel: spoold says it lost the job" wait_for 5 grep -q "event=lost id=$R" "$T/spoold.log"
: >"$T/ids"
submit stubborn
S=$(cat "$T/ids")
check "cancel: a handler that ignores SIGTERM runs" wait_for 10 test -s "$T/hpid.$S"
hp=$(cat "$T/hpid.$S")
t0=$(ms)
ad cancel "$S" 2>/dev/null
wait_for 5 gone "$hp"
t1=$(ms)
check "cancel: SIGKILL after the grace, within a second ($((t1 - t0)) ms)" \
    eval 'gone "$hp" && [ $((t1 - t0)) -lt 1000 ]'
printf '#!/bin/sh\nexit 0\n' >"$T/h.sh"
: >"$T/ids"
submit ok
check "cancel: the consumer goes on with other jobs" wait_for 10 eval \
    '[ "$(where "$(cat "$T/ids")")" = done ]'
stop "$SPOOLD"

# check, then check --repair: what is safe is fixed, the rest reported.
printf x >"$SP/new/twice"
printf x >"$SP/done/twice"
printf x >"$SP/meta/orphan"
touch -d '2 hours ago' "$SP/meta/orphan"
printf x >"$SP/tmp/stale"
touch -d '3 days ago' "$SP/tmp/stale"
printf x >"$SP/hold/$(printf 'bad\001name')"
ad check >"$T/out" 2>"$T/err"
rc=$?
check "check: finds each problem, exit 65" eval '[ $rc -eq 65 ] &&
    grep -q "^done/twice: in two states: also in new/" "$T/out" &&
    grep -q "^meta/orphan: orphan history" "$T/out" &&
    grep -q "^tmp/stale: stale tmp file" "$T/out" &&
    grep -qF "hold/bad\\x01name: unsafe name" "$T/out"'
check "check: changes nothing" eval '[ -e "$SP/meta/orphan" ] && [ -e "$SP/tmp/stale" ]'
ad check --repair >"$T/out" 2>"$T/err"
check "check --repair: the safe ones repaired" eval \
    'grep -q "^meta/orphan: .*(repaired)" "$T/out" && [ ! -e "$SP/meta/orphan" ] && [ ! -e "$SP/tmp/stale" ] &&
     [ -e "$SP/new/twice" ] && [ -e "$SP/done/twice" ]'
check "check --repair: the count" grep -qx "spooladmin: check: 4 problem(s), 2 repaired, 2 left" "$T/err"
rm "$SP/done/twice" "$SP/hold/$(printf 'bad\001name')"
ad check >/dev/null 2>"$T/err"
rc=$?
check "check: a clean spool exits 0" eval '[ $rc -eq 0 ] && grep -qx "spooladmin: check: no problems" "$T/err"'
exit $failed
