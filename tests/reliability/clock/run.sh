#!/bin/sh
# tests/reliability/clock/run.sh - the lease and clock tests, one after the
# other (each takes a few seconds of sleeps, little CPU):
#   expired.sh   a consumer stopped past its lease's ttl
#   clockjump.sh the wall clock a day forward and back (libfaketime)
#   bootid.sh    leases of another boot
#   pidreuse.sh  a dead consumer's PID given to another process
# BIN names the programs (default build/bin).  Exit 0 when all pass.
cd "$(dirname "$0")" || exit 1
rc=0
for t in expired clockjump bootid pidreuse; do
	out=$(sh ./$t.sh 2>&1)
	st=$?
	printf '%s\n' "$out" | grep -E '^(not )?ok |^# ' | sed "s/^\(not \)\{0,1\}ok - /&clock $t: /"
	if printf '%s\n' "$out" | grep -q '^not ok '; then
		rc=1
	elif [ $st -ne 0 ]; then
		printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
		echo "not ok - clock $t: exited $st"
		rc=1
	fi
done
exit $rc
