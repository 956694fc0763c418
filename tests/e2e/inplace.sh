#!/bin/sh
# inplace.sh - what plain shell puts in new/.  A file written slowly
# straight into new/ (open, write, sleep, write, close) is read whole by
# its handler, with a consumer rescanning all along and with a consumer
# started in the middle of the write.  A symlink, a FIFO and a directory go
# to dead/ with their reason, the symlink's target untouched; names with
# control characters go to dead/; names with blanks and "-rf" run like any
# other; dotfiles (".hidden", "..x") are left alone; `cp job tmp/x && mv
# tmp/x new/x` submits a job named x.
. "$(dirname "$0")/core.inc"

# The handler checks that its stdin and its last argument are the job.
cat >"$T/h.sh" <<EOF
#!/bin/sh
for last; do :; done
cat >"$T/stdin.\$\$"
if cmp -s "$T/stdin.\$\$" "\$last"; then r=same; else r=differ; fi
printf '%s %s\n' "\$r" "\$SPOOL_JOB_ID" >>"$T/runs"
mv "$T/stdin.\$\$" "$T/got.\$(printf %s "\$SPOOL_JOB_ID" | od -An -tx1 | tr -d ' \n')"
EOF
chmod +x "$T/h.sh"
: >"$T/runs"
got() { cat "$T/got.$(printf %s "$1" | od -An -tx1 | tr -d ' \n')" 2>/dev/null; }
ran() { grep -c " $1\$" "$T/runs"; }
printf 'consumer:\n  scan: 100ms\n' >"$T/conf.yaml"

# writer NAME: part one, 1.5 s, part two, in new/NAME itself.
writer() {
	sh -c 'printf "part one\n"; sleep 1.5; printf "part two\n"' \
	    >"$SP/new/$1" &
	WRITER=$!
}
whole() { is "$(got "$1")" "$(printf 'part one\npart two')"; }

# A consumer rescanning every 100 ms all through the write.
spoold -c "$T/conf.yaml" --exec "$T/h.sh"
D=$SPOOLD
wait_for 20 has_count lease 1
writer slow1
sleep 1
check "written in place: not claimed while open" in_state slow1 new
wait "$WRITER"
check "written in place: claimed once closed" wait_for 20 in_state slow1 done
check "written in place: the handler read it whole" whole slow1
check "written in place: one run" is "$(ran slow1)" 1

# A consumer started in the middle of the write.
stop "$D"
writer slow2
sleep 0.3
spoold -c "$T/conf.yaml" --exec "$T/h.sh"
D=$SPOOLD
wait_for 20 has_count lease 1
sleep 0.5
check "consumer started mid-write: not claimed while open" in_state slow2 new
wait "$WRITER"
check "consumer started mid-write: claimed once closed" \
    wait_for 20 in_state slow2 done
check "consumer started mid-write: read whole" whole slow2

# Entries that are no job to run.
printf 'precious\n' >"$T/target"
ln -s "$T/target" "$SP/new/link"
mkfifo "$SP/new/fifo"
mkdir "$SP/new/adir"
# Names: through tmp/ as the contract's shell recipe does.
for n in "..x" "name with spaces" "-rf" "$(printf 'new\nline')" \
    "$(printf 'esc\033[31m')" "tab	name" ".hidden"; do
	printf 'job %s\n' "$n" >"$SP/tmp/x"
	mv "$SP/tmp/x" "$SP/new/$n"
done
reason() { grep ' dead ' "$SP/meta/$1"; }
check "a symlink goes to dead/" wait_for 20 in_state link dead
check "a symlink's reason" has "$(reason link)" 'error="a symlink"'
check "a symlink's target untouched" is "$(cat "$T/target")" precious
check "a symlink stays a symlink" test -L "$SP/dead/link"
check "a FIFO goes to dead/" wait_for 20 in_state fifo dead
check "a FIFO's reason" has "$(reason fifo)" 'error="a FIFO"'
check "a directory goes to dead/" wait_for 20 in_state adir dead
check "a directory's reason" has "$(reason adir)" 'error="a directory"'
for n in "name with spaces" "-rf"; do
	check "\"$n\": done" wait_for 20 in_state "$n" done
	check "\"$n\": its handler got it on stdin and as its path" \
	    is "$(grep -c "^same $n\$" "$T/runs")" 1
done
for n in "$(printf 'new\nline')" "$(printf 'esc\033[31m')" "tab	name"; do
	what=$(printf %s "$n" | od -An -c | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')
	check "name with control characters ($what): dead" \
	    wait_for 20 in_state "$n" dead
	check "name with control characters ($what): never run" \
	    is "$(got "$n")" ""
	check "name with control characters ($what): reason" \
	    has "$(reason "$n")" 'unsafe name'
done
check "a dotfile is left alone" in_state .hidden new
check "\"..x\" is a dotfile too, left alone" in_state ..x new
check "no handler was told of anything else" is "$(wc -l <"$T/runs")" 4
stop "$D"
check "spoold exits 0 on SIGTERM" is "$STATUS" 0
exit $failed
