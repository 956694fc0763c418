#!/bin/sh
# bootid.sh - leases written on another boot (their boot_id differs).
#
#   1. A consumer holding a job is killed and its lease is made to look
#      like another boot's (boot_id edited, renewed a day in the future):
#      dead all the same, since nobody holds its lock; recover returns the
#      job and removes the lease.
#   2. A live consumer's lease gets another boot_id, edited in place (the
#      lock stays held): expiry is then judged on the wall clock, the only
#      clock two boots share.  It is not taken while renewed; a recover
#      whose wall clock is a day ahead (libfaketime) sees it a day overdue
#      and takes its job, which is what the wall clock says.
. "$(dirname "$0")/common.sh"
setup
mkhandler hold 60
OTHER=01234567-89ab-cdef-0123-456789abcdef

# edit LEASE: boot_id := OTHER in place (same length: the lock stays).
other_boot() {
	python3 - "$1" "$OTHER" "$2" <<'PY'
import os, re, sys
path, other, renewed = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
fd = os.open(path, os.O_RDWR)
text = os.pread(fd, 1 << 20, 0)
m = re.search(rb'^boot_id=([^\n]*)$', text, re.M)
assert m and len(m.group(1)) == len(other), m
os.pwrite(fd, other, m.start(1))
if renewed:
    m = re.search(rb'^renewed=(\d+) ', text, re.M)
    os.pwrite(fd, renewed.encode().rjust(len(m.group(1)), b'0'), m.start(1))
os.close(fd)
PY
}

J=$(submit one)
"$BIN/spoold" -d "$SP" --exec "$W/hold" 2>"$W/a.log" &
A=$!
reg $A
wait_for 10 in_dir cur "$J" || nok "case 1: the consumer claimed"
kill -9 $A
wait $A 2>/dev/null
L=$SP/lease/$(ls "$SP/lease")
other_boot "$L" $(( ($(date +%s) + 86400) * 1000 ))
check "case 1: the lease now names another boot" grep -q "^boot_id=$OTHER$" "$L"
"$BIN/spooladmin" -d "$SP" recover >"$W/recover.out" 2>&1
sed 's/^/# /' "$W/recover.out"
check "case 1: a dead lease of another boot is dead: its job is back" \
    in_dir new "$J"
check "case 1: and the lease is gone" test -z "$(ls "$SP/lease")"

"$BIN/spoold" -d "$SP" --exec "$W/hold" --lease-ttl 3s 2>"$W/a2.log" &
A=$!
reg $A
wait_for 10 in_dir cur "$J" || nok "case 2: the consumer claimed"
L=$SP/lease/$(ls "$SP/lease")
other_boot "$L" ""
sleep 4		# over the ttl: renewed meanwhile on the wall clock too
"$BIN/spooladmin" -d "$SP" recover >"$W/recover2.out" 2>&1
check "case 2: a live lease of another boot, renewed, is kept" in_dir cur "$J"
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -n "$FT" ]; then
	(faked_exec FAKETIME=+1d FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    "$BIN/spooladmin" -d "$SP" recover) >"$W/recover3.out" 2>&1
	sed 's/^/# /' "$W/recover3.out"
	check "case 2: judged on the wall clock, it is taken by a recover a day ahead" \
	    in_dir new "$J"
else
	echo "ok - case 2: wall clock judgement # SKIP libfaketime not installed"
fi
kill -TERM $A
wait $A
check "the consumer exits 0" test $? -eq 0
exit $failed
