#!/bin/sh
# stat.sh - spoolstat end to end: exit codes; the counts of a 20,000-job
# spool in every output (summary, JSON, Prometheus, --shape, ls -c); a live
# consumer's jobs listed with holder, attempts and errors; JSON Lines read
# by python's parser; show with its history and payload; hostile names
# never printed raw; the supervisor's state; --watch driven under tmux.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/ops.inc

st() { "$BIN/spoolstat" -d "$SP" "$@"; }
"$BIN/spooladmin" init "$SP" || exit 1

"$BIN/spoolstat" --help >/dev/null
check "--help exits 0" is $? 0
check "--version names the program" eval '"$BIN/spoolstat" --version | grep -q "^spoolstat [0-9]"'
"$BIN/spoolstat" -d "$T/none" 2>/dev/null
check "a missing spool exits 66" is $? 66
st --bogus 2>/dev/null
check "an unknown option exits 64" is $? 64
st ls --attempts many 2>/dev/null
check "a bad number exits 64" is $? 64
printf 'spool: %s\n' "$SP" >"$T/c.yaml"
check "-c FILE names the spool" eval '"$BIN/spoolstat" -c "$T/c.yaml" | grep -q "^spool: $SP"'
printf 'spool: [\n' >"$T/bad.yaml"
"$BIN/spoolstat" -c "$T/bad.yaml" 2>/dev/null
check "a bad configuration file exits 78" is $? 78
check "SPOOL_DIR names the spool" eval 'SPOOL_DIR=$SP "$BIN/spoolstat" | grep -q "^queued *0"'
check "an empty spool: every state 0 in JSON" eval 'st --json | json_ok \
    "all(o[s] == 0 for s in (\"queued\", \"running\", \"waiting\", \"held\", \"done\", \"dead\"))"'

# 20,000 jobs in every state, made by hand: the counts, whatever the output.
BIG=$T/big
"$BIN/spooladmin" init "$BIG" || exit 1
mk() {	# mk DIR FIRST N
	awk -v f="$2" -v n="$3" 'BEGIN { for (i = f; i < f + n; i++)
	    printf "%010d.%09d.1.t\n", 1700000000 + i, i }' |
	    (cd "$BIG/$1" && xargs touch)
}
mk new 0 12000; mk cur 12000 500; mk wait 12500 1500; mk hold 14000 1000
mk done 15000 3000; mk dead 18000 2000
big() { "$BIN/spoolstat" -d "$BIG" "$@"; }
check "20k: the summary counts each state" is "$(big | awk '
    $1 ~ /^(queued|running|waiting|held|done|dead)$/ { printf "%s=%s ", $1, $2 }')" \
    "queued=12000 running=500 waiting=1500 held=1000 done=3000 dead=2000 "
check "20k: JSON counts each state" eval 'big --json | json_ok \
    "(o[\"queued\"], o[\"running\"], o[\"waiting\"], o[\"held\"], o[\"done\"], o[\"dead\"]) == (12000, 500, 1500, 1000, 3000, 2000)"'
check "20k: ls -c counts every job" is "$(big ls -c)" 20000
check "20k: ls -c of two states" is "$(big ls held dead -c)" 3000
check "20k: ls -c with an age filter" is "$(big ls done --older-than 1d -c)" 3000
check "20k: ls -i lists each job once" is "$(big ls -i | sort -u | wc -l)" 20000
check "20k: ls lists a state in submission order" eval \
    'big ls queued -i >"$T/q"; sort "$T/q" | cmp -s - "$T/q"'
check "20k: Prometheus gauges" is "$(big --prometheus | grep '^spool_jobs{' | tr '\n' ' ')" \
    'spool_jobs{state="queued"} 12000 spool_jobs{state="running"} 500 spool_jobs{state="waiting"} 1500 spool_jobs{state="held"} 1000 spool_jobs{state="done"} 3000 spool_jobs{state="dead"} 2000 spool_jobs{state="tmp"} 0 '
check "20k: --shape totals every job" is "$(big --shape | awk '$1 == "TOTAL" { print $2 }')" 20000
rm -rf "$BIG"

# A live consumer: a job done, one failing twice, one poison, one running.
cat >"$T/h.sh" <<EOF
#!/bin/sh
case \$(cat) in
fail) echo "boom on stderr" >&2; exit 1 ;;
poison) exit 65 ;;
slow) n=1000; until [ -e "$T/go" ] || [ \$n -eq 0 ]; do sleep 0.02; n=\$((n - 1)); done ;;
esac
exit 0
EOF
chmod +x "$T/h.sh"
submit ok fail poison slow
set -- $(cat "$T/ids")
OK=$1 FAIL=$2 POISON=$3 SLOW=$4
run_spoold --exec "$T/h.sh" -j 2 --max-attempts 2 --backoff 100ms,100ms
settled() { [ "$(count done)$(count dead)$(count cur)" = 121 ]; }
check "the consumer runs the four jobs" wait_for 20 settled
HOLDER=$(basename "$(ls "$SP/lease")")
check "the summary shows the live consumer" eval 'st | grep -q "^consumers: 1 alive"'
check "JSON: the consumer, its pid and its job" eval 'st --json | json_ok \
    "o[\"consumers\"][0][\"pid\"] == $SPOOLD and o[\"consumers\"][0][\"alive\"] and o[\"consumers\"][0][\"jobs\"] == 1"'
check "ls shows the running job's holder" eval \
    'st ls running | grep -q "^$SLOW  running *1 .* $HOLDER "'
st ls --json >"$T/ls.json"
check "ls --json: the contract's fields, submitted from the ID" json_ok \
    'set(("id", "state", "attempts", "size", "submitted", "owner", "error")) <= set(o) and o["submitted"] == int(o["id"].split(".")[0]) and isinstance(o["size"], int)' <"$T/ls.json"
check "ls --json: the holder of the running job only" json_ok \
    '(o["owner"] == "'"$HOLDER"'") == (o["state"] == "running")' <"$T/ls.json"
check "ls --json: two attempts and stderr for the failing job" json_ok \
    'o["id"] != "'"$FAIL"'" or (o["attempts"] == 2 and "boom on stderr" in o["error"] and o["state"] == "dead")' <"$T/ls.json"
check "ls --json: the poison job's exit status" json_ok \
    'o["id"] != "'"$POISON"'" or (o["status"] == "exit 65" and o["attempts"] == 1)' <"$T/ls.json"
check "ls --attempts 2 finds the failing job only" is "$(st ls --attempts 2 -i)" "$FAIL"
check "ls dead -i" is "$(st ls dead -i | tr '\n' ' ')" "$FAIL $POISON "
check "ls with an ID glob" is "$(st ls -i "$OK"'*')" "$OK"
st show "$FAIL" >"$T/show"
check "show: the retry with holder, attempt and stderr" eval \
    'grep -q "retry *by $HOLDER, attempt 1, exit 1" "$T/show" && grep -q "| boom on stderr" "$T/show"'
check "show: the death and the payload" eval \
    'grep -q "dead *by $HOLDER, attempt 2" "$T/show" && tail -1 "$T/show" | grep -qx fail'
st show --json "$FAIL" "$OK" >"$T/show.json"
check "show --json: one object a job, the history parsed" json_ok \
    'o["id"] == "'"$OK"'" or ([e["event"] for e in o["history"]] == ["retry", "dead"] and o["history"][0]["by"] == "'"$HOLDER"'" and o["history"][0]["error"].startswith("boom on stderr") and o["attempts"] == 2 and o["path"] == "dead/'"$FAIL"'")' <"$T/show.json"
check "show --json: two lines" is "$(wc -l <"$T/show.json")" 2
st show --json --body "$FAIL" >/dev/null 2>&1
check "show: --json and --body exit 64" is $? 64
check "Prometheus: counters of what happened" eval 'st --prometheus >"$T/prom" &&
    grep -qx "spool_jobs_done_total 1" "$T/prom" &&
    grep -qx "spool_jobs_failed_total 3" "$T/prom" &&
    grep -qx "spool_jobs_dead_total 2" "$T/prom" &&
    grep -qx "spool_consumers 1" "$T/prom"'
check "Prometheus: every line is a comment or a sample" eval \
    '! grep -Ev "^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z]+=\"[a-z]+\"\})? [0-9.]+)$" "$T/prom"'
touch "$T/go"
check "the slow job finishes" wait_for 20 eval '[ "$(count done)" = 2 ]'
stop "$SPOOLD"

# Payloads: the head, all of it, and bytes that must not reach a terminal.
awk 'BEGIN { for (i = 0; i < 300; i++) print "line", i }' >"$T/big.txt"
"$BIN/spoolsubmit" -d "$SP" "$T/big.txt" >"$T/id"
check "show: the head of a long payload" eval 'st show "$(cat "$T/id")" | grep -q "more bytes"'
check "show --body: all of it" eval 'st show --body "$(cat "$T/id")" | tail -1 | grep -qx "line 299"'
printf 'a\033[2Jb\001c\377d\n' | "$BIN/spoolsubmit" -d "$SP" >"$T/id"
ESC=$(printf '\033')
st show "$(cat "$T/id")" >"$T/show"
check "show: control bytes of a payload escaped" eval \
    'grep -qF "a\\x1b[2Jb\\x01c\\xffd" "$T/show" && ! grep -q "$ESC" "$T/show"'

# Names no tool may print raw.
EVIL=$(printf 'evil\033[31mred\nline')
printf x >"$SP/new/$EVIL"
printf x >"$SP/new/$(printf 'bad\377name')"
st ls >"$T/ls"
check "ls: a name with ESC and newline comes out escaped" eval \
    'grep -qF "evil\\x1b[31mred\\nline" "$T/ls" && ! grep -q "$ESC" "$T/ls"'
check "ls -i: escaped too" eval 'st ls -i | grep -qxF "evil\\x1b[31mred\\nline"'
check "ls: bytes that are not UTF-8 escaped" grep -qF 'bad\xffname' "$T/ls"
check "ls --json: exact names, parsed" eval 'st ls queued --json | json_ok \
    "o[\"id\"] in (\"evil\\x1b[31mred\\nline\", \"bad\\xffname\") or o[\"id\"][0].isdigit()"'
check "show: an evil name, escaped" eval 'st show "$EVIL" | grep -c "$ESC" | grep -qx 0'
printf '2026-01-01T00:00:00.000Z ev\033il k\033ey=v\033al error="x\\x1by"\n' >"$SP/meta/$EVIL"
check "show: a tampered history, escaped" eval \
    'st show "$EVIL" | grep -c "$ESC" | grep -qx 0 && st show "$EVIL" | grep -qF "ev\\x1bil"'
check "show --json: a tampered history, exact" eval 'st show --json "$EVIL" | json_ok \
    "o[\"history\"][0][\"event\"] == \"ev\x1bil\" and o[\"history\"][0][\"error\"] == \"x\x1by\""'

# Hand-named jobs, and the age filters.
printf x >"$SP/new/1000000000.000000000.1.old"
printf x >"$SP/new/handmade"
touch -d '2 days ago' "$SP/new/handmade"
check "--older-than: by ID time and by mtime" is \
    "$(st ls queued --older-than 1d -i | tr '\n' ' ')" "1000000000.000000000.1.old handmade "
check "--younger-than leaves them out" eval '! st ls --younger-than 1d -i | grep -q -e old -e handmade'
check "the oldest queued job in the summary" eval \
    'st | grep -q "^queued .* oldest .*(1000000000.000000000.1.old)"'

# The supervisor's state file, when there is one.
now=$(date +%s)000
printf 'supervisor pid=%s started=%s\nname=consumer.1 pid=%s started=%s restarts=2 last_exit=exit:1\nname=producer.1 pid=999999 started=%s restarts=0 last_exit=-\n' \
    $$ "$now" $$ "$now" "$now" >"$SP/run/supervise.state"
st >"$T/sum"
check "summary: the supervisor and its children" eval \
    'grep -q "^supervisor: pid $$, running" "$T/sum" &&
     grep -q "^  consumer.1 *$$ *alive .* 2  exit:1" "$T/sum" &&
     grep -q "^  producer.1 *999999 *gone" "$T/sum"'
check "JSON: the supervisor" eval 'st --json | json_ok \
    "o[\"supervisor\"][\"pid\"] == $$ and o[\"supervisor\"][\"alive\"] and [c[\"restarts\"] for c in o[\"supervisor\"][\"children\"]] == [2, 0]"'
printf 'supervisor pid=1 started=0\nname=ev\033il pid=1\n' >"$SP/run/supervise.state"
printf x >"$SP/lease/$(printf 'host\033[2J:1')"
check "summary: hostile lease and child names escaped" eval '! st | grep -q "$ESC"'
rm "$SP/run/supervise.state" "$SP/lease/$(printf 'host\033[2J:1')"
check "JSON: no supervisor is null" eval 'st --json | json_ok "o[\"supervisor\"] is None"'

st show "$T/none" >/dev/null 2>&1
check "show of a path exits 65" is $? 65
out=$(st show nosuch "$OK" 2>"$T/err")
rc=$?
check "show of an unknown ID exits 66, the others shown" eval \
    '[ $rc -eq 66 ] && has "$out" "^id: *$OK" && grep -q "nosuch: no such job" "$T/err"'

# --watch without a terminal: plain frames until SIGTERM, exit 0.
"$BIN/spoolstat" -d "$SP" --watch 0.2 >"$T/plain" 2>&1 &
W=$!
check "--watch without a terminal prints frames" wait_for 10 eval \
    '[ "$(cat "$T/plain" 2>/dev/null | grep -c "^queued")" -ge 2 ]'
kill "$W"
wait "$W"
rc=$?
check "... and exits 0 on SIGTERM, with no escape sequence" eval \
    '[ $rc -eq 0 ] && ! grep -q "$ESC" "$T/plain"'

# --watch in a terminal, under tmux.
if command -v tmux >/dev/null 2>&1; then
	tx() { tmux -S "$T/tmux" "$@"; }
	screen() { tx capture-pane -p -t w; }
	queued() { screen | awk '$1 == "queued" { print $2 }'; }
	tx new-session -d -s w -x 100 -y 30 "echo BEFORE; $BIN/spoolstat -d $SP --watch 2; echo EXIT-\$?; stty -a | grep -q ' icanon .* echo ' && echo COOKED; sleep 60"
	check "watch: a frame on the alternate screen" wait_for 10 eval \
	    'screen | grep -q "^queued" && ! screen | grep -q BEFORE'
	n=$(queued)
	submit w1 w2 w3
	check "watch: inotify redraws before the 2 s tick" wait_for 1 \
	    eval '[ "$(queued)" = $((n + 3)) ]'
	check "watch: rates and consumers shown" eval 'screen | grep -q "^consumers:" && screen | grep -q "/s"'
	tx send-keys -t w q
	check "watch: q quits with 0 and restores the screen" wait_for 10 eval \
	    'screen | grep -q EXIT-0 && screen | grep -q BEFORE'
	check "watch: the terminal is back in cooked mode" wait_for 5 eval 'screen | grep -q COOKED'
	tx kill-session -t w
	tx new-session -d -s w -x 100 -y 30 "echo BEFORE; $BIN/spoolstat -d $SP --watch; echo EXIT-\$?; sleep 60"
	wait_for 10 eval 'screen | grep -q "^queued"'
	tx send-keys -t w C-c
	check "watch: Ctrl-C quits with 0 and restores the screen" wait_for 10 eval \
	    'screen | grep -q EXIT-0 && screen | grep -q BEFORE'
	tx kill-server
else
	ok "watch under tmux # skip tmux is not installed"
fi
exit $failed
