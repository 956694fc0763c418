#!/usr/bin/python3
# dirqpeer.py - the python3-dirq peer: QueueSimple, add / lock / get / remove.
#
#   dirqpeer.py produce DIR N        add N jobs of 100 bytes
#   dirqpeer.py drain DIR N C        C processes lock, get and remove until empty
#   dirqpeer.py e2e DIR N C          a producer and C consumers at once
#
# Prints jobs per second.  dirq has no fsync and no notification: consumers
# iterate over the queue again when it looks empty (a 1 ms pause between
# empty passes).
import mmap
import os
import struct
import sys
import time

from dirq.QueueSimple import QueueSimple

PAYLOAD = b"x" * 99 + b"\n"


def produce(path, n):
    q = QueueSimple(path)
    for _ in range(n):
        q.add(PAYLOAD)


def consume(path, n, shared, stop_empty):
    q = QueueSimple(path)
    while True:
        got = 0
        for name in q:
            if q.lock(name):
                q.get(name)
                q.remove(name)
                got += 1
        done = add(shared, got)
        if done >= n:
            if done - got < n:
                struct.pack_into("d", shared, 8, time.monotonic())
            return
        if got == 0:
            if stop_empty:
                return
            time.sleep(0.001)


def add(shared, k):
    # A lock-free add is not to be had in Python: fcntl would cost more
    # than the work.  Consumers add under a lock file instead.
    import fcntl
    fcntl.flock(LOCK, fcntl.LOCK_EX)
    v = struct.unpack_from("q", shared, 0)[0] + k
    struct.pack_into("q", shared, 0, v)
    fcntl.flock(LOCK, fcntl.LOCK_UN)
    return v


def children(fns):
    pids = []
    for fn in fns:
        pid = os.fork()
        if pid == 0:
            global LOCK
            LOCK = open(LOCKPATH, "w")
            try:
                fn()
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        _, st = os.waitpid(pid, 0)
        if st != 0:
            sys.exit("dirqpeer.py: a child failed")


def main():
    global LOCKPATH
    mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    c = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    os.makedirs(path, exist_ok=True)
    LOCKPATH = path + ".lock"
    shared = mmap.mmap(-1, 16)
    t0 = time.monotonic()
    if mode == "produce":
        produce(path, n)
        end = time.monotonic()
    else:
        stop = mode == "drain"
        fns = [lambda: consume(path, n, shared, stop)] * c
        if mode == "e2e":
            fns.append(lambda: produce(path, n))
        children(fns)
        done, end = struct.unpack_from("qd", shared, 0)
        if done != n:
            sys.exit("dirqpeer.py: %d jobs done, not %d" % (done, n))
    os.unlink(LOCKPATH) if os.path.exists(LOCKPATH) else None
    print("%.0f" % (n / (end - t0)))


if __name__ == "__main__":
    main()
