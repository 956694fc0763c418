#!/bin/sh
# kill_recover.sh [KILLS [HOLD_MS]] - the time from kill -9 of a consumer
# to its job being back in new/, under spoolsupervise: median, 90th
# percentile and worst over KILLS kills (50), split into the kernel's part
# (until the dead consumer is reaped) and the supervisor's (reap to rename).
#
# One consumer, one job at a time, a handler that never ends: so the job
# leaves cur/ only when a recovery returns it.  Each round waits until the
# (restarted) consumer has held the job for HOLD_MS (200; a job claimed in
# the very instant of a recovery is left for its next pass), sends SIGKILL,
# and waits on inotify for the job's rename out of cur/, polling /proc
# meanwhile for the reap.  Run it from the top of the checkout after
# `make`; BIN names another build's programs.
cd "$(dirname "$0")/.." || exit 1
BIN=${BIN:-$PWD/build/bin}
KILLS=${1:-50}
HOLD=${2:-200}
T=$(mktemp -d /tmp/spool-bench.XXXXXX) || exit 1
SUP=
trap '[ -n "$SUP" ] && kill -TERM "$SUP" 2>/dev/null && wait "$SUP"; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

"$BIN/spooladmin" init "$T/spool" || exit 1
cat >"$T/c.yaml" <<EOF
spool: $T/spool
consumer: {exec: "sleep 3600; :", concurrency: 1, max_attempts: 1000, grace: 1s}
supervise: {consumers: 1, restart: [10ms, 10ms]}
EOF
echo bench | "$BIN/spoolsubmit" -d "$T/spool" >/dev/null || exit 1
"$BIN/spoolsupervise" -c "$T/c.yaml" 2>"$T/log" &
SUP=$!

python3 - "$T/spool" "$KILLS" "$HOLD" <<'EOF'
import ctypes, os, select, struct, sys, time

spool, kills, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000
cur = os.path.join(spool, "cur")
libc = ctypes.CDLL(None, use_errno=True)
IN_MOVED_FROM = 0x40
fd = libc.inotify_init1(os.O_NONBLOCK)
if fd < 0 or libc.inotify_add_watch(fd, cur.encode(), IN_MOVED_FROM) < 0:
    sys.exit("kill_recover: inotify: " + os.strerror(ctypes.get_errno()))

def consumer():
    try:
        for line in open(os.path.join(spool, "run", "supervise.state")):
            f = dict(kv.split("=", 1) for kv in line.split()[1:]
                     if "=" in kv)
            if line.startswith("name=consumer.1 "):
                return int(f["pid"])
    except (OSError, ValueError, KeyError):
        pass
    return 0

def holding(pid):
    """The job, once the consumer pid has it in cur/ under its lease."""
    jobs = os.listdir(cur)
    if pid <= 0 or len(jobs) != 1:
        return None
    for lease in os.listdir(os.path.join(spool, "lease")):
        if lease.endswith(":%d" % pid):
            return jobs[0]
    return None

def moved_out(job, pid, deadline):
    """When the job left cur/, and when the supervisor reaped pid (its
    /proc entry went), polled every 0.2 ms meanwhile."""
    reaped = None
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.0002)
        now = time.monotonic()
        if reaped is None and not os.path.exists("/proc/%d" % pid):
            reaped = now
        if not r:
            continue
        buf = os.read(fd, 65536)
        while buf:
            _, mask, _, n = struct.unpack_from("iIII", buf)
            name = buf[16:16 + n].rstrip(b"\0").decode()
            buf = buf[16 + n:]
            if name == job:
                return now, reaped or now
    return None, None

ms = []
while len(ms) < kills:
    deadline = time.monotonic() + 10
    pid, job = 0, None
    while job is None and time.monotonic() < deadline:
        pid = consumer()
        job = holding(pid)
        if job is None:
            time.sleep(0.002)
    if job is None:
        sys.exit("kill_recover: the consumer never held the job")
    time.sleep(hold)
    while True:                     # drain what came before the kill
        try:
            os.read(fd, 65536)
        except BlockingIOError:
            break
    t0 = time.monotonic()
    os.kill(pid, 9)
    t1, reaped = moved_out(job, pid, t0 + 10)
    if t1 is None:
        sys.exit("kill_recover: the job was not returned within 10 s")
    ms.append(((t1 - t0) * 1000, (reaped - t0) * 1000, (t1 - reaped) * 1000))

def figures(what, xs):
    xs = sorted(xs)
    n = len(xs)
    med = xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
    print("  %-34s median %6.2f  p90 %6.2f  worst %6.2f  best %6.2f" %
          (what, med, xs[max(int(n * 0.9) - 1, 0)], xs[-1], xs[0]))

print("kill -9 of a consumer holding its job for %d ms, %d kills (ms):" %
      (hold * 1000, len(ms)))
figures("kill to job back in new/", [m[0] for m in ms])
figures("  kill to consumer reaped", [m[1] for m in ms])
figures("  reaped to job back in new/", [m[2] for m in ms])
EOF
