#!/bin/sh
# reliability_short.sh - the short reliability run inside make check (see
# tests/reliability/ and RELIABILITY.md; `make check-reliability` is the
# full one): crashes at the renames and syncs of a submission and of a
# stamping consumer, EIO at a consumer's renames and writes and short
# writes (regressions: consumer.c finish, the stamp's whole line), a full tmpfs
# and an inotify overflow, power cuts of a submission on ext4; each judged
# by tests/reliability/invariant.py.  Needs root.
cd "$(dirname "$0")/../.." || exit 1
BIN=${BIN:-$PWD/build/bin}
export BIN MODE=short
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - reliability_short: skipped, not root (mounts, loop devices)"
	exit 0
fi
sh tests/reliability/deps.sh || { echo "not ok - reliability_short: cannot install strace, xfsprogs"; exit 1; }
rc=0
SCENARIOS="submitN done" ONLY=renameat2,fsync,syncfs \
    sh tests/reliability/crash.sh || rc=1
SCENARIOS=done OPS="renameat2 write" FAULT_ERRS="EIO SHORT" \
    sh tests/reliability/faults.sh || rc=1
FULL_KINDS=space BURST_SHORT=1000 sh tests/reliability/exhaust.sh || rc=1
FSES_SHORT=ext4 PATHS_SHORT=produce POWER_CALLS=fsync TESTTEST=0 \
    sh tests/reliability/power.sh || rc=1
exit $rc
