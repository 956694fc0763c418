#!/usr/bin/env python3
"""invariant.py - the one judge of every reliability run, and its payloads.

  invariant.py mkjobs DIR COUNT TAG [SIZE]  write COUNT payload files DIR/TAG-N
  invariant.py check SPOOL [options]    judge a spool; exit 0 ok, 1 violated

A payload is self-checking: a header line
    SPOOLREL seq=TAG-N len=L sha256=HEX
then L bytes of body whose SHA-256 is HEX.  A consumer may append lines
after it (spoold --stamp: "processed TIME by HOST:PID"), nothing else.
So a torn file (short, zero-filled, half a stamp line) is a content
mismatch.  `--random SIZE` also accepts spoolsubmit --random's text (SIZE
bytes of [a-z0-9], a newline every 64th byte and at the end).

The invariant, judged on every run:
  - each job ID is in exactly one of new cur wait hold done dead (tmp/ is
    not looked at: it holds files being written);
  - no job file is empty, not a regular file, or torn (content mismatch);
  - every acknowledged ID (--acked FILE: IDs spoolsubmit printed) is there;
  - done/ holds each job once: no payload (seq) under two IDs unless it
    was submitted twice (--allow-resubmit), no job stamped twice unless its
    consumer died holding it (--held FILE: IDs in cur/ when it died);
  - with --drained: nothing left in new/ cur/ wait/;
  - meta/ files are whole lines (a torn or empty history is reported).
The last line is "invariant: ok ..." or "invariant: FAIL ...", with the
figures (jobs, acked, per state, reruns) as key=value.
"""
import hashlib
import os
import re
import sys

STATES = ["new", "cur", "wait", "hold", "done", "dead"]
STAMP = re.compile(rb"processed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z by [^\n ]+:\d+\n")
HEADER = re.compile(rb"SPOOLREL seq=([A-Za-z0-9_.-]+) len=(\d+) sha256=([0-9a-f]{64})\n")
RANDOM_CHARS = re.compile(rb"[a-z0-9]*")


def body_of(seq, n):
    """Deterministic body: lines naming the seq, cut at n bytes."""
    unit = ("%s payload line for reliability checks\n" % seq).encode()
    return (unit * (n // len(unit) + 1))[:n]


def mkjobs(d, count, tag, size=0):
    """size > 0: each file exactly size bytes (a whole page, say)."""
    os.makedirs(d, exist_ok=True)
    for i in range(1, count + 1):
        seq = "%s-%d" % (tag, i)
        n = 1 + (i * 977) % 3000          # 1..3000 bytes, some > a page
        if size:
            n = size - len("SPOOLREL seq=%s len=%d sha256=%s\n" % (
                seq, size, "0" * 64))
            n = size - len("SPOOLREL seq=%s len=%d sha256=%s\n" % (
                seq, n, "0" * 64))
        body = body_of(seq, n)
        head = "SPOOLREL seq=%s len=%d sha256=%s\n" % (
            seq, n, hashlib.sha256(body).hexdigest())
        with open(os.path.join(d, seq), "wb") as f:
            f.write(head.encode() + body)


def stamps(rest):
    """Count the stamp lines in rest; -1 if rest is anything else."""
    n, off = 0, 0
    while off < len(rest):
        m = STAMP.match(rest, off)
        if not m:
            return -1
        n, off = n + 1, m.end()
    return n


def judge_random(data, size):
    body, rest = data[:size], data[size:]
    if len(body) != size or not body.endswith(b"\n"):
        return None, -1
    for k in range(0, size, 64):
        chunk = body[k:k + 64]
        last = len(chunk) - 1
        if chunk[last:] != b"\n" or not RANDOM_CHARS.fullmatch(chunk[:last]):
            return None, -1
    return "random", stamps(rest)


def judge(data, random_size):
    """(seq, stamp count); stamp count -1 means torn."""
    m = HEADER.match(data)
    if not m:
        if random_size:
            return judge_random(data, random_size)
        return None, -1
    n = int(m.group(2))
    body = data[m.end():m.end() + n]
    if len(body) != n or hashlib.sha256(body).hexdigest().encode() != m.group(3):
        return m.group(1).decode(), -1
    return m.group(1).decode(), stamps(data[m.end() + n:])


def read_list(path):
    if not path:
        return []
    try:
        with open(path) as f:
            return [l.split()[0] for l in f if l.strip()]
    except FileNotFoundError:
        return []


def check(argv):
    import argparse
    p = argparse.ArgumentParser(prog="invariant.py check")
    p.add_argument("spool")
    p.add_argument("--acked", action="append", default=[])
    p.add_argument("--held", help="IDs in cur/ when their consumer died")
    p.add_argument("--runs", help="handler log: one 'ID ATTEMPT' line a run")
    p.add_argument("--min-runs", type=int, default=1)
    p.add_argument("--random", type=int, default=0)
    p.add_argument("--drained", action="store_true")
    p.add_argument("--stamped", action="store_true",
                   help="every job in done/ carries a stamp")
    p.add_argument("--allow-resubmit", action="store_true")
    p.add_argument("--strict-meta", action="store_true")
    p.add_argument("--label", default="")
    a = p.parse_args(argv)

    bad = []
    where = {}
    counts = {s: 0 for s in STATES}
    seqs = {}
    reruns = 0
    for st in STATES:
        d = os.path.join(a.spool, st)
        for name in sorted(os.listdir(d)):
            if name.startswith("."):
                continue
            counts[st] += 1
            where.setdefault(name, []).append(st)
            path = os.path.join(d, name)
            if os.path.islink(path) or not os.path.isfile(path):
                bad.append("%s/%s: not a regular file" % (st, name))
                continue
            with open(path, "rb") as f:
                data = f.read()
            if not data:
                bad.append("%s/%s: empty" % (st, name))
                continue
            seq, nst = judge(data, a.random)
            if nst < 0:
                bad.append("%s/%s: torn (content does not match its payload)"
                           % (st, name))
                continue
            if seq != "random":
                seqs.setdefault(seq, []).append(name)
            if st == "done" and a.stamped and nst == 0:
                bad.append("done/%s: in done/ but never stamped" % name)
            if nst > 1:
                reruns += nst - 1
                where[name].append("rerun:%d" % (nst - 1))
    for name, sts in where.items():
        real = [s for s in sts if not s.startswith("rerun")]
        if len(real) > 1:
            bad.append("%s: in %d states: %s" % (name, len(real), " ".join(real)))
    acked = []
    for f in a.acked:
        acked += read_list(f)
    lost = [i for i in acked if i not in where]
    for i in lost:
        bad.append("%s: acknowledged, and lost" % i)
    dups = {s: v for s, v in seqs.items() if len(v) > 1}
    if dups and not a.allow_resubmit:
        for s, v in dups.items():
            bad.append("payload %s under %d IDs: %s" % (s, len(v), " ".join(v)))
    held = set(read_list(a.held))
    runs = {}
    for i in read_list(a.runs):
        runs[i] = runs.get(i, 0) + 1
    hruns = 0
    for i, n in runs.items():
        if n > a.min_runs:
            hruns += n - a.min_runs
            if i not in held:
                bad.append("%s: handler ran %d times, its consumer did not "
                           "die holding it" % (i, n))
    for name, sts in where.items():
        r = [s for s in sts if s.startswith("rerun")]
        if r and name not in held and not a.runs:
            bad.append("%s: stamped %d times, its consumer did not die "
                       "holding it" % (name, 1 + int(r[0][6:])))
    if a.drained:
        for st in ("new", "cur", "wait"):
            if counts[st]:
                bad.append("%s/ holds %d job(s) after the drain" % (st, counts[st]))
    meta_empty = meta_torn = 0
    md = os.path.join(a.spool, "meta")
    for name in os.listdir(md):
        if name.startswith("."):
            continue
        with open(os.path.join(md, name), "rb") as f:
            data = f.read()
        if not data:
            meta_empty += 1
        elif not data.endswith(b"\n"):
            meta_torn += 1
    if a.strict_meta and meta_empty + meta_torn:
        bad.append("meta/: %d empty, %d torn" % (meta_empty, meta_torn))
    for b in bad[:20]:
        print("# %s%s" % (a.label + ": " if a.label else "", b))
    figs = "jobs=%d acked=%d lost=%d %s reruns=%d handler_reruns=%d " \
        "resubmitted=%d meta_empty=%d meta_torn=%d" % (
            len(where), len(acked), len(lost),
            " ".join("%s=%d" % (s, counts[s]) for s in STATES),
            reruns, hruns, sum(len(v) - 1 for v in dups.values()),
            meta_empty, meta_torn)
    print("invariant: %s %s%s" % ("FAIL" if bad else "ok",
                                 "(%d problems) " % len(bad) if bad else "", figs))
    return 1 if bad else 0


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "mkjobs":
        mkjobs(sys.argv[2], int(sys.argv[3]), sys.argv[4],
               int(sys.argv[5]) if len(sys.argv) > 5 else 0)
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        return check(sys.argv[2:])
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main())
