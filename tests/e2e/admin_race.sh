#!/bin/sh
# admin_race.sh - spooladmin racing real spoold processes, many rounds:
# cancels racing completions (and each other), a hold racing a cancel and
# the claims, two `requeue --dead` racing each other and the claims.  After
# each round every job is in exactly one state, the counts the admins print
# add up, every move has its line in the job's history (a race lost leaves
# one more, which must not show a job that is done as cancelled), no job ran
# twice, and every loser was told why in words.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/ops.inc

ROUNDS=${ROUNDS:-4}
N=${N:-40}
ad() { "$BIN/spooladmin" -d "$SP" "$@"; }
"$BIN/spooladmin" init "$SP" || exit 1
printf '#!/bin/sh\nsleep "$(cat)"\n' >"$T/h.sh"
chmod +x "$T/h.sh"

# fails NAME: the check NAME failed this round (reported once, at the end).
fails() { grep -qx "$1 $r" "$T/fails" || echo "$1 $r" >>"$T/fails"; }
: >"$T/fails"
result() {	# result NAME DESCRIPTION
	if grep -q "^$1 " "$T/fails"; then
		nok "$2 ($(grep -c "^$1 " "$T/fails") of $ROUNDS rounds failed)"
	else
		ok "$2 ($ROUNDS rounds)"
	fi
}
# N jobs in one spoolsubmit call, each sleeping 0 to 40 ms in its handler.
submit_n() {
	mkdir -p "$T/p"
	rm -f "$T"/p/*
	i=0
	while [ $i -lt "$N" ]; do
		echo "0.0$((i % 5))" >"$T/p/$(printf %03d $i)"
		i=$((i + 1))
	done
	"$BIN/spoolsubmit" -d "$SP" "$T"/p/* >"$T/ids"
}
# one_state: every ID of $T/ids is in exactly one of the given states.
one_state() {
	for id in $(cat "$T/ids"); do
		w=$(where "$id")
		case " $* " in *" $w "*) ;; *) return 1 ;; esac
	done
}
settled() { one_state done dead held; }
in_state() { for id in $(cat "$T/ids"); do [ -e "$SP/$1/$id" ] && echo "$id"; done | wc -l; }
# acted FILE VERB: the count an admin printed ("cancelled 12 of 40").
acted() { sed -n "s/^spooladmin: $2 \([0-9]*\) of .*/\1/p" "$1"; }
lines() {	# lines EVENT: history lines EVENT of the round's jobs
	for id in $(cat "$T/ids"); do
		grep -c " $1 by=$ME " "$SP/meta/$id" 2>/dev/null || echo 0
	done | awk '{ n += $1 } END { print n + 0 }'
}
with() {	# with EVENT STATE: the round's jobs in STATE with an EVENT line
	for id in $(cat "$T/ids"); do
		[ -e "$SP/$2/$id" ] && grep -q " $1 by=$ME " "$SP/meta/$id" 2>/dev/null &&
		    echo "$id"
	done | wc -l
}
# The line goes before the move: every dead job has its cancel line; one
# whose move lost the race is left on a done job, which is not cancelled.
cancels_ok() {
	[ "$(with cancel dead)" = "$(in_state dead)" ] &&
	    ! "$BIN/spoolstat" -d "$SP" ls done | grep -q "cancelled by"
}
# Every message of a losing admin is one of the forms it may take.
clear_words() {
	! grep -v -e '^spooladmin: cannot [a-z]* .*: it is [a-z]*\( already\)\{0,1\}$' \
	    -e '^spooladmin: cannot hold .*: it is running (cancel it' \
	    -e '^spooladmin: cannot [a-z]* .*: another operator moved it first (now [a-z]*)$' \
	    -e '^spooladmin: skipped .*: \(left\|gone from\) [a-z]*/ meanwhile' \
	    -e '^spooladmin: [a-z]* [0-9]* of [0-9]* job(s)' "$@" >&2
}

run_spoold --exec "$T/h.sh" -j 2 --grace 200ms
A=$SPOOLD
run_spoold --exec "$T/h.sh" -j 2 --grace 200ms
B=$SPOOLD

# Cancels racing completions, and two admins cancelling the same jobs, one
# from each end of the list.
r=0
while [ $r -lt "$ROUNDS" ]; do
	submit_n
	ad cancel $(cat "$T/ids") 2>"$T/e1" &
	p1=$!
	ad cancel $(sort -r "$T/ids") 2>"$T/e2" &
	wait $p1 $!
	wait_for 20 settled || fails settle1
	one_state done dead || fails one1
	[ "$(in_state dead)" = $(($(acted "$T/e1" cancelled) + $(acted "$T/e2" cancelled))) ] ||
	    fails count1
	cancels_ok || fails meta1
	clear_words "$T/e1" "$T/e2" || fails words1
	r=$((r + 1))
done
result settle1 "cancel vs completion: every job settles"
result one1 "cancel vs completion: each job done or dead, never both or neither"
result count1 "cancel vs completion: the admins' counts add up to the dead jobs"
result meta1 "cancel vs completion: a cancel line for each dead job, none shown for a done one"
result words1 "cancel vs completion: the losers told in words"

# A hold racing a cancel, both racing the claims: cancel is legal from
# held, so nothing may stay held.
r=0
while [ $r -lt "$ROUNDS" ]; do
	submit_n
	ad hold $(cat "$T/ids") 2>"$T/e1" &
	p1=$!
	ad cancel $(sort -r "$T/ids") 2>"$T/e2" &
	wait $p1 $!
	wait_for 20 settled || fails settle2
	one_state done dead || fails one2
	[ "$(in_state dead)" = "$(acted "$T/e2" cancelled)" ] || fails count2
	[ "$(lines hold)" -ge "$(acted "$T/e1" held)" ] || fails hold2
	cancels_ok || fails meta2
	clear_words "$T/e1" "$T/e2" || fails words2
	r=$((r + 1))
done
result settle2 "hold vs cancel vs claims: every job settles"
result one2 "hold vs cancel vs claims: each job done or dead, none left held"
result count2 "hold vs cancel vs claims: the cancels counted are the dead jobs"
result hold2 "hold vs cancel vs claims: a hold line for each hold done"
result meta2 "hold vs cancel vs claims: a cancel line for each dead job, none shown for a done one"
result words2 "hold vs cancel vs claims: the losers told in words"
stop "$A"
stop "$B"

# Two `requeue --dead` at once, racing stamping consumers: every job done
# exactly once, requeued by exactly one of the admins.
run_spoold --stamp -j 2
A=$SPOOLD
run_spoold --stamp -j 2
B=$SPOOLD
ad purge dead 2>/dev/null	# the cancelled jobs: --dead must find ours only
r=0
while [ $r -lt "$ROUNDS" ]; do
	i=0
	: >"$T/ids"
	while [ $i -lt "$N" ]; do
		echo "job $r.$i" >"$SP/dead/race.$r.$i"
		echo "race.$r.$i" >>"$T/ids"
		i=$((i + 1))
	done
	ad requeue --dead 2>"$T/e1" &
	p1=$!
	ad requeue --dead 2>"$T/e2" &
	wait $p1 $!
	all_done() { one_state done; }
	wait_for 20 all_done || fails done3
	[ $(($(acted "$T/e1" requeued) + $(acted "$T/e2" requeued))) = "$N" ] ||
	    fails count3
	for id in $(cat "$T/ids"); do
		[ "$(grep -c '^processed ' "$SP/done/$id" 2>/dev/null)" = 1 ] || fails twice3
	done
	clear_words "$T/e1" "$T/e2" || fails words3
	r=$((r + 1))
done
result done3 "requeue vs requeue vs claims: every job done"
result count3 "requeue vs requeue vs claims: each job requeued by one admin"
result twice3 "requeue vs requeue vs claims: no job ran twice"
result words3 "requeue vs requeue vs claims: the losers told in words"
stop "$A"
stop "$B"
check "no process left behind" eval '[ -z "$(ours)" ]'
exit $failed
