# tpl.sh - the spools the reliability suites start from and the paths
# (scenarios) they walk, sourced after lib.sh.  A scenario names a template
# spool (copied afresh for each trial), the command that walks the path,
# the spoold options that finish it (the drain), and what the invariant
# check must know (--stamped, the handler's run log).
T=$W/t
SP=$T/sp
PAY=$W/pay
$INV mkjobs "$PAY" 20 p >/dev/null

# Handlers log each run next to the spool: "ID ATTEMPT".
cat >"$W/h_retry" <<'H'
#!/bin/sh
echo "$SPOOL_JOB_ID $SPOOL_ATTEMPT" >>"$SPOOL_DIR/../runs"
[ "$SPOOL_ATTEMPT" -ge 2 ]
H
cat >"$W/h_dead" <<'H'
#!/bin/sh
echo "$SPOOL_JOB_ID $SPOOL_ATTEMPT" >>"$SPOOL_DIR/../runs"
exit 65
H
cat >"$W/h_sleep" <<'H'
#!/bin/sh
exec sleep 1000
H
chmod +x "$W/h_retry" "$W/h_dead" "$W/h_sleep"

# Templates: a spool in a known state, copied for each trial.
tpl() { rm -rf "$T" && mkdir -p "$T" && cp -a "$W/tpl/$1/." "$T/"; }
save() { rm -rf "$W/tpl/$1" && mkdir -p "$W/tpl" && cp -a "$T" "$W/tpl/$1"; }

# A consumer that dies holding three jobs (its handlers die with it).
orphans() {	# orphans [spoold options]
	tpl q
	"$BIN/spoold" -d "$SP" --exec "$W/h_sleep" -j 3 "$@" 2>/dev/null &
	_p=$!
	reg_pid $_p
	wait_for 20 sh -c "[ \$(ls '$SP/cur' | wc -l) -eq 3 ] && \
	    [ \$(pgrep -x -P $_p sleep | wc -l) -eq 3 ]" || nok "orphans: 3 running"
	_kids=$(pgrep -x -P $_p sleep)
	for _k in $_kids; do reg_pid $_k; done
	kill -9 $_p
	wait $_p 2>/dev/null
	# Its handlers die with it (PR_SET_PDEATHSIG), zombies at most.
	for _k in $_kids; do
		wait_for 5 gone $_k ||
		    nok "orphans: handler $_k outlived its consumer"
	done
	ls "$SP/cur" >"$T/held.tpl"
}

make_templates() {	# only those the scenarios in $SCENARIOS start from
	_need=
	for _s in $SCENARIOS; do
		scenario "$_s"
		_need="$_need $TPL "
	done
	mkdir -p "$T"
	"$BIN/spooladmin" init "$SP" || exit 1
	"$BIN/spoolsubmit" -d "$SP" "$PAY/p-1" "$PAY/p-2" "$PAY/p-3" \
	    >"$T/acked" || exit 1
	save q
	case $_need in *" dead "*)
		"$BIN/spoold" -d "$SP" --exec "$W/h_dead" --drain 2>/dev/null
		rm -f "$T/runs"
		save dead ;;
	esac
	case $_need in *" held "*)
		tpl q
		"$BIN/spooladmin" -d "$SP" hold $(cat "$T/acked") 2>/dev/null
		save held ;;
	esac
	case $_need in *" orphan "*)
		orphans
		save orphan ;;
	esac
	case $_need in *" hung "*)
		orphans --lease-ttl 1s
		save hung ;;
	esac
}

# The traced command of each scenario, with what the check needs.
scenario() {
	TPL=q FIN="--stamp" EXTRA="--stamped" CMD= HOLDER=
	case $1 in
	submit1) CMD="$BIN/spoolsubmit -d $SP $PAY/p-10" ;;
	submitN) CMD="$BIN/spoolsubmit -d $SP $PAY/p-11 $PAY/p-12 $PAY/p-13 \
	    $PAY/p-14 $PAY/p-15" ;;
	defer) CMD="$BIN/spoolsubmit -d $SP --delay 20ms $PAY/p-16 $PAY/p-17" ;;
	done) CMD="$BIN/spoold -d $SP --stamp --drain" ;;
	retry) CMD="$BIN/spoold -d $SP --exec $W/h_retry --backoff 10ms,20ms --drain"
	    FIN="--exec $W/h_retry --backoff 10ms,20ms"
	    EXTRA="--runs $T/runs --min-runs 2" ;;
	dead) CMD="$BIN/spoold -d $SP --exec $W/h_dead --drain"
	    FIN="--exec $W/h_dead" EXTRA="--runs $T/runs" ;;
	requeue) TPL=dead CMD="$BIN/spooladmin -d $SP requeue --dead" ;;
	cancel) CMD="$BIN/spooladmin -d $SP cancel IDS" ;;
	hold) CMD="$BIN/spooladmin -d $SP hold IDS" ;;
	release) TPL=held CMD="$BIN/spooladmin -d $SP release IDS" ;;
	recover) TPL=orphan CMD="$BIN/spooladmin -d $SP recover" ;;
	reclaim) TPL=hung CMD="$BIN/spooladmin -d $SP recover" HOLDER=1 ;;
	startup) TPL=orphan CMD="$BIN/spoold -d $SP --stamp --drain" ;;
	esac
}

prepare() {
	tpl $TPL
	if [ -n "$HOLDER" ]; then
		# The hung consumer: its lease locked by a live process, its
		# renewal older than its ttl (1s).
		(flock 9 && exec sleep 1000) 9<"$SP/lease/$(ls "$SP/lease")" &
		HPID=$!
		reg_pid $HPID
		wait_for 5 sh -c "grep -q ' $(stat -c %i "$SP/lease/$(ls "$SP/lease")") ' /proc/locks"
	fi
	# The orphans' consumer died a while ago: over the tick within
	# which recovery leaves a job for its next pass (recover.c).
	case $TPL in orphan | hung) sleep 0.15 ;; esac
	IDS=$(cat "$T/acked" | tr '\n' ' ')
	RUN=$(echo "$CMD" | sed "s|IDS|$IDS|")
}

unhold() {
	if [ -n "$HOLDER" ]; then
		kill -9 $HPID 2>/dev/null
		wait $HPID 2>/dev/null
	fi
}
