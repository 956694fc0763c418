#!/bin/sh
# bench/spoolstat_1m.sh - how spoolstat scales: a spool of N queued jobs
# (default 1,000,000) made without the daemon, then the time of the
# summary, of `spoolstat -c`-style counts, and of the listings, the last
# given per 100,000 jobs.  Not part of `make check`: it needs a few GB of
# inodes and a minute.  The summary must stay well under a second.
#
#	sh bench/spoolstat_1m.sh [N]		(BIN=dir of the programs)
cd "$(dirname "$0")/.." || exit 1
BIN=${BIN:-$PWD/build/bin}
N=${1:-1000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/spool-bench.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
SP=$T/spool
"$BIN/spooladmin" init "$SP" || exit 1

# Names like spoolsubmit's (the summary reads submission times out of
# them), created empty in new/ by a few touch processes at once.
now=$(date +%s)
start=$(date +%s.%N)
awk -v n="$N" -v t="$now" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "%010d.%09d.%d.bench\n", t - 3600 + int(i / 1000), i % 1000000000, 4242
}' | (cd "$SP/new" && xargs -P 2 -n 20000 touch) || exit 1
made=$(date +%s.%N)
echo "made $(ls -f "$SP/new" | grep -vc '^\.') jobs in new/ in $(echo "$made - $start" | bc) s"
# A few in the other states, so that every directory is read.
for d in cur wait hold done dead; do
	for i in 1 2 3; do : >"$SP/$d/x$i.$d"; done
done

# best LABEL COMMAND...: the wall and CPU (user + system) seconds of the
# best of three runs (the first warms the dentry cache, as a monitoring
# scrape would find it).  On a busy host the CPU time is the steadier one.
best() {
	label=$1
	shift
	b=
	for r in 1 2 3; do
		/usr/bin/time -f "%e %U %S" -o "$T/time" "$@" >"$T/out" ||
		    { echo "$label: failed"; return 1; }
		read -r d u s <"$T/time"
		if [ -z "$b" ] || [ "$(echo "$d < $b" | bc)" -eq 1 ]; then
			b=$d
			c=$(echo "$u + $s" | bc)
		fi
	done
	printf '%-34s %8.3f s wall %8.3f s cpu\n' "$label" "$b" "$c"
	BEST=$b
}

best "spoolstat (summary)" "$BIN/spoolstat" -d "$SP"
grep '^queued' "$T/out"
best "spoolstat --json" "$BIN/spoolstat" -d "$SP" --json
best "spoolstat --prometheus" "$BIN/spoolstat" -d "$SP" --prometheus
best "spoolstat ls -c" "$BIN/spoolstat" -d "$SP" ls -c
echo "  count: $(cat "$T/out")"
best "spoolstat ls queued -c" "$BIN/spoolstat" -d "$SP" ls queued -c
best "spoolstat --shape" "$BIN/spoolstat" -d "$SP" --shape
per() { echo "scale=3; $BEST * 100000 / $N" | bc; }
best "spoolstat ls -i" "$BIN/spoolstat" -d "$SP" ls -i
echo "  per 100,000 jobs: $(per) s ($(wc -l <"$T/out") lines)"
best "spoolstat ls" "$BIN/spoolstat" -d "$SP" ls
echo "  per 100,000 jobs: $(per) s ($(wc -l <"$T/out") lines)"
best "spoolstat ls --json" "$BIN/spoolstat" -d "$SP" ls --json
echo "  per 100,000 jobs: $(per) s"
best "spoolstat ls --older-than 30m -c" "$BIN/spoolstat" -d "$SP" ls \
    --older-than 30m -c
echo "  count: $(cat "$T/out")"
