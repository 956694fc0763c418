# bench/table.awk - the table of bench/run, from its "KEY VALUE" lines:
# each figure's median and spread (half its range, in % of the median),
# then the ratios against the floor and the peers, and the targets.

function sortv(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}
# med[k], lo[k], hi[k] from the values of key k
function stats(k,    a, n, i, s) {
	n = split(vals[k], a, " ")
	for (i = 1; i <= n; i++)
		a[i] += 0
	sortv(a, n)
	med[k] = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	lo[k] = a[1]
	hi[k] = a[n]
}
function num(x,    s, r) {	# 12345 -> 12,345
	s = sprintf("%.0f", x)
	r = ""
	while (length(s) > 3) {
		r = "," substr(s, length(s) - 2) r
		s = substr(s, 1, length(s) - 3)
	}
	return s r
}
function cell(k,    sp) {
	if (!(k in med))
		return (k in failed) ? "fail" : "-"
	sp = med[k] > 0 ? (hi[k] - lo[k]) / 2 / med[k] * 100 : 0
	return sprintf("%s ±%d%%", num(med[k]), sp + 0.5)
}
function row(label, k,    c, line) {
	line = sprintf("%-44s", label)
	for (c = 1; c <= 4; c++)
		line = line sprintf(" %15s", cell(k "." col[c]))
	print line
}
function ratio(a, b) {
	return (a in med) && (b in med) && med[b] > 0 ? med[a] / med[b] : -1
}
# one line of the ratio section: label, value, target, met?  floor: the
# same ratio for the floor, when given (>= 0): what the layout allows.
function target(label, v, op, t, unit, floor,    ok, s, f) {
	if (v < 0) {
		printf "  %-52s %10s   %s %s%s\n", label, "-", op, t, unit
		return
	}
	ok = op == ">=" ? v >= t : v < t
	s = unit == "" ? sprintf("%.2f", v) : sprintf("%.2f%s", v, unit)
	f = floor != "" && floor >= 0 ? sprintf(" (the floor: %.2f)", floor) : ""
	printf "  %-52s %10s   %s %s%s   %s%s\n", label, s, op, t, unit,
	    ok ? "met" : "MISSED", f
}
function rrow(label, a, b,    c, line, v) {
	line = sprintf("  %-42s", label)
	for (c = 1; c <= 4; c++) {
		v = ratio(a "." col[c], b "." col[c])
		line = line sprintf(" %15s", v < 0 ? "-" : sprintf("%.2f", v))
	}
	print line
}

{
	if ($2 == "fail" || $2 == "") {
		failed[$1] = 1
		next
	}
	vals[$1] = vals[$1] " " $2
	keys[$1] = 1
}

END {
	for (k in keys)
		stats(k)
	col[1] = "tmpfs"; col[2] = "tmpfs_d"; col[3] = "disk"; col[4] = "disk_d"
	printf "spool bench: %s jobs of 100 bytes a run (disk durable: %s, " \
	    "--exec: %s), %d runs, %s, %d s\n", num(N), num(ND), num(NX), RUNS,
	    host, secs
	printf "load average %s\n", load
	printf "disk: %s; tmpfs: /dev/shm\n", disk
	printf "jobs/s, median ±spread (half the range over the runs); " \
	    "e2e = 1 producer + 2 consumers\n\n"
	printf "%-44s %15s %15s %15s %15s\n", "", "tmpfs", "tmpfs durable",
	    "disk", "disk durable"
	row("floor: produce (tmp, new)", "floor.produce")
	row("floor: drain, 2 consumers", "floor.drain2")
	row("floor: e2e (consumers wait on inotify)", "floor.e2e")
	row("spool: submit, lib, batches of 100", "spool.submit")
	row("spool: submit, lib, one at a time", "spool.submit1")
	row("spool: spoolsubmit --random", "spool.spoolsubmit")
	row("spool: drain, lib no-op, 1 consumer", "spool.drain1")
	row("spool: drain, lib no-op, 2 consumers", "spool.drain2")
	row("spool: drain, spoold --worker -j 2", "spool.worker")
	row("spool: drain, spoold --exec true -j 2", "spool.exec")
	row("spool: e2e, lib (producer: batches of 100)", "spool.e2e")
	row("dirq: add", "dirq.produce")
	row("dirq: drain, 2 consumers", "dirq.drain2")
	row("dirq: e2e (1 ms pause when empty)", "dirq.e2e")
	row("sqlite (NORMAL|FULL): insert, a txn each", "sqlite.produce")
	row("sqlite: drain, 2 consumers", "sqlite.drain2")
	row("sqlite: e2e (txns of 100; 200 us pause)", "sqlite.e2e")
	row("beanstalkd (mem|-f0): put, 1 at a time", "bs.put1")
	row("beanstalkd: put, 100 pipelined", "bs.put100")
	row("beanstalkd: drain, 2 conns, 1 at a time", "bs.drain1")
	row("beanstalkd: drain, 2 conns, 100 pipelined", "bs.drain100")
	row("beanstalkd: e2e (put 100 pipelined)", "bs.e2e")

	printf "\nratios of medians%31s %15s %15s %15s %15s\n", "", "tmpfs",
	    "tmpfs durable", "disk", "disk durable"
	rrow("spool/floor produce (lib, batches)", "spool.submit", "floor.produce")
	rrow("spool/floor drain, 2 consumers", "spool.drain2", "floor.drain2")
	rrow("spool/floor e2e", "spool.e2e", "floor.e2e")
	rrow("spool/dirq e2e", "spool.e2e", "dirq.e2e")
	rrow("spool/sqlite e2e", "spool.e2e", "sqlite.e2e")
	rrow("spool/beanstalkd e2e", "spool.e2e", "bs.e2e")
	rrow("floor/dirq e2e", "floor.e2e", "dirq.e2e")
	rrow("floor/sqlite e2e", "floor.e2e", "sqlite.e2e")
	rrow("floor/beanstalkd e2e", "floor.e2e", "bs.e2e")
	rrow("spool/dirq drain, 2 consumers", "spool.drain2", "dirq.drain2")
	rrow("spool/sqlite drain, 2 consumers", "spool.drain2", "sqlite.drain2")
	rrow("spool drain 2 / beanstalkd 100 pipel.", "spool.drain2", "bs.drain100")
	rrow("spool submit batched / one at a time", "spool.submit", "spool.submit1")
	rrow("spoold --worker / --exec", "spool.worker", "spool.exec")

	printf "\nlatency, drop (rename into new/) to claim, a job every 2 ms, " \
	    "%s jobs, ms:\n", NL
	printf "  %-38s p50 %s [%s-%s]  p99 %s [%s-%s]\n", "tmpfs",
	    med["lat50.tmpfs"], lo["lat50.tmpfs"], hi["lat50.tmpfs"],
	    med["lat99.tmpfs"], lo["lat99.tmpfs"], hi["lat99.tmpfs"]
	printf "  %-38s p50 %s [%s-%s]  p99 %s [%s-%s]\n", "disk, durable",
	    med["lat50.disk_d"], lo["lat50.disk_d"], hi["lat50.disk_d"],
	    med["lat99.disk_d"], lo["lat99.disk_d"], hi["lat99.disk_d"]
	printf "kill -9 of a consumer to its job back in new/, ms:\n"
	printf "  %-38s median %s [%s-%s]\n", "under spoolsupervise",
	    med["kill.super"], med["kill.super.best"], med["kill.super.worst"]
	printf "  %-38s median %s [%s-%s]\n", "alone (another spoold recovers)",
	    med["kill.alone"], lo["kill.alone"], hi["kill.alone"]
	printf "depth (tmpfs, not durable; claims: 1 consumer, open excluded):\n"
	printf "  %-12s %18s %18s %14s %14s\n", "queued", "claims/s",
	    "consumer open ms", "spoold MiB", "spoolstat ms"
	for (i = 1; i <= 3; i++) {
		d = i == 1 ? 1000 : i == 2 ? 100000 : 1000000
		printf "  %-12s %18s %18s %14s %14s\n", num(d),
		    cell("depth.claim." d), cell("depth.open." d),
		    med["depth.rss." d], cell("depth.stat." d)
	}

	printf "\ntargets:\n"
	target("e2e tmpfs: spool/floor", ratio("spool.e2e.tmpfs", "floor.e2e.tmpfs"), ">=", 0.8, "")
	target("e2e tmpfs: spool/dirq", ratio("spool.e2e.tmpfs", "dirq.e2e.tmpfs"), ">=", 1.5, "",
	    ratio("floor.e2e.tmpfs", "dirq.e2e.tmpfs"))
	target("e2e tmpfs: spool/sqlite", ratio("spool.e2e.tmpfs", "sqlite.e2e.tmpfs"), ">=", 2, "",
	    ratio("floor.e2e.tmpfs", "sqlite.e2e.tmpfs"))
	target("e2e tmpfs: spool/beanstalkd", ratio("spool.e2e.tmpfs", "bs.e2e.tmpfs"), ">=", 1.5, "",
	    ratio("floor.e2e.tmpfs", "bs.e2e.tmpfs"))
	target("drain tmpfs, 2 consumers: spool/beanstalkd pipelined",
	    ratio("spool.drain2.tmpfs", "bs.drain100.tmpfs"), ">=", 1, "")
	target("e2e disk durable: spool/sqlite FULL",
	    ratio("spool.e2e.disk_d", "sqlite.e2e.disk_d"), ">=", 3, "",
	    ratio("floor.e2e.disk_d", "sqlite.e2e.disk_d"))
	target("e2e disk durable: spool/beanstalkd -f0",
	    ratio("spool.e2e.disk_d", "bs.e2e.disk_d"), ">=", 2, "",
	    ratio("floor.e2e.disk_d", "bs.e2e.disk_d"))
	target("submit disk durable: batched/one at a time",
	    ratio("spool.submit.disk_d", "spool.submit1.disk_d"), ">=", 5, "")
	target("drain tmpfs: spoold --worker/--exec",
	    ratio("spool.worker.tmpfs", "spool.exec.tmpfs"), ">=", 5, "")
	target("claims/s at 1,000,000 queued / at 1,000",
	    ratio("depth.claim.1000000", "depth.claim.1000"), ">=", 0.9, "")
	target("spoold peak RSS at 1,000,000 queued",
	    ("depth.rss.1000000" in med) ? med["depth.rss.1000000"] : -1, "<", 32, " MiB")
	target("drop-to-claim p50, tmpfs", ("lat50.tmpfs" in med) ? med["lat50.tmpfs"] : -1, "<", 0.2, " ms")
	target("drop-to-claim p99, tmpfs", ("lat99.tmpfs" in med) ? med["lat99.tmpfs"] : -1, "<", 2, " ms")
	target("kill -9 to claimable, under the supervisor",
	    ("kill.super" in med) ? med["kill.super"] : -1, "<", 100, " ms")
}
