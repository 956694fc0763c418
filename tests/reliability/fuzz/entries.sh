#!/bin/sh
# entries.sh - spool entries no library call made, end to end: the real
# spoold, spoolstat and spooladmin on a spool holding
#   new/:  a symlink (to a file outside), a FIFO, a directory, a sparse
#          10 GiB file, names with a newline, an escape sequence and
#          bytes that are not UTF-8, another user's files (mode 0644 and
#          0600) while spoold runs as that other user or as root;
#   meta/: a FIFO, a symlink, a 10 GiB file as a queued job's history;
#   lease/: a symlink, a FIFO, a 10 GiB file;
#   run/supervise.state: 10 GiB.
# Nothing may hang or be followed (the symlinks' target is unchanged),
# nothing lost (every job ends in done/ or dead/, with a reason), the
# queue never stalls behind a bad entry, and the tools print every name
# escaped (no control byte reaches the terminal).
# Needs root for the other user (useradd spooltest); BIN = the programs.
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
W=$(mktemp -d /tmp/spool-entries.XXXXXX) || exit 1
chmod 755 "$W"
SP=$W/spool
failed=0
ok() { printf 'ok - %s\n' "$*"; }
nok() { printf 'not ok - %s\n' "$*"; failed=1; }
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
cleanup() {
	for _p in $(grep -l -a -F -e "$W" /proc/[0-9]*/cmdline 2>/dev/null |
	    sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'); do
		[ "$_p" = $$ ] || kill -9 "$_p" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# No byte below 0x20 but newline, no DEL, no C1 control.
printable() {
	python3 -c '
import sys
b = sys.stdin.buffer.read()
bad = [c for c in b if (c < 0x20 and c != 10) or c == 0x7f]
try:
    bad += [c for c in b.decode("utf-8") if 0x80 <= ord(c) < 0xa0]
except UnicodeDecodeError:
    bad.append("not UTF-8")
sys.exit(1 if bad else 0)'
}
# Entries of a directory (ls -b: a name with a newline is one line).
jobs_in() { ls -A -b "$SP/$1" 2>/dev/null | wc -l; }

"$BIN/spooladmin" init "$SP" >/dev/null || exit 1
echo secret >"$W/secret"
NL=$(printf 'new\nline')
ESC=$(printf '\033[2Jclear')
BYTES=$(printf 'bytes\377\376')
ln -s "$W/secret" "$SP/new/link"
mkfifo "$SP/new/fifo"
mkdir "$SP/new/dir"
truncate -s 10G "$SP/new/huge"
echo nl >"$SP/new/$NL"
echo esc >"$SP/new/$ESC"
echo bytes >"$SP/new/$BYTES"
for j in mfifo mlink mhuge; do echo $j >"$SP/new/$j"; done
mkfifo "$SP/meta/mfifo"
ln -s "$W/secret" "$SP/meta/mlink"
truncate -s 10G "$SP/meta/mhuge"
ln -s "$W/secret" "$SP/lease/h:1"
mkfifo "$SP/lease/h:2"
truncate -s 10G "$SP/lease/h:3"
truncate -s 10G "$SP/run/supervise.state"
echo good >"$SP/new/zz-good"
total=$(jobs_in new)

# The tools first: nothing hangs, every name escaped.
for cmd in "spoolstat" "spoolstat --json" "spoolstat ls" "spoolstat ls --json" \
    "spoolstat --prometheus" "spooladmin check"; do
	set -- $cmd
	p=$1
	shift
	timeout -s KILL 20 "$BIN/$p" -d "$SP" "$@" >"$W/out" 2>&1
	rc=$?
	if [ $rc -eq 137 ]; then
		nok "$cmd: hung"
	else
		check "$cmd (exit $rc): nothing unescaped on the terminal" \
		    printable <"$W/out"
	fi
done
check "spoolstat ls lists every queued entry" \
    test "$("$BIN/spoolstat" -d "$SP" ls queued | tail -n +2 | wc -l)" -eq "$total"
"$BIN/spoolstat" -d "$SP" ls >"$W/ls0" 2>&1
check "spoolstat ls prints the newline in a name as \\n" \
    grep -q '^new\\nline ' "$W/ls0"

# spoold as root drains the queue.
timeout -s KILL 60 "$BIN/spoold" -d "$SP" --stamp --drain 2>"$W/spoold.log"
rc=$?
check "spoold --drain over the hostile entries ends (exit $rc)" test $rc -eq 0
check "every entry is in done/ or dead/, none lost, none left" \
    test "$(($(jobs_in done) + $(jobs_in dead)))" -eq "$total" -a \
    "$(jobs_in new)$(jobs_in cur)" = 00
check "the good job behind them is done" test -f "$SP/done/zz-good"
check "a sparse 10 GiB job is run in place (done, still sparse)" \
    test -f "$SP/done/huge" -a "$(du -k "$SP/done/huge" | cut -f1)" -lt 1024
check "the UTF-8-invalid name is a job like any other (done)" \
    test -f "$SP/done/$BYTES"
for d in link fifo dir "$NL" "$ESC" mfifo mlink mhuge; do
	check "$(printf '%s' "$d" | od -An -c | tr -s ' \n' ' '): in dead/, not run" \
	    test -e "$SP/dead/$d" -o -L "$SP/dead/$d"
done
check "the symlink is moved, not followed: its target is unchanged" \
    test "$(cat "$W/secret")" = secret -a -L "$SP/dead/link"
check "the reason a rejected entry is dead is plain text in meta/" \
    grep -q 'error="a symlink"' "$SP/meta/link"
check "the lease strays are left where they are (for spooladmin check)" \
    test -L "$SP/lease/h:1" -a -p "$SP/lease/h:2" -a -f "$SP/lease/h:3"
"$BIN/spoolstat" -d "$SP" ls >"$W/ls" 2>&1
check "spoolstat ls after: every name escaped" printable <"$W/ls"
check "spoolstat ls shows why a job with a damaged history is dead" \
    grep -q '^mfifo .*history unreadable' "$W/ls"
"$BIN/spoolstat" -d "$SP" show "$NL" >"$W/show" 2>&1
check "spoolstat show of a name with a newline: found, escaped" \
    test "$(head -1 "$W/show")" = 'id:         new\nline'
"$BIN/spooladmin" -d "$SP" requeue "$NL" >"$W/requeue" 2>&1
check "spooladmin requeue takes a name with a newline" test -f "$SP/new/$NL"

# Another user's files, and spoold running as that user.
if id spooltest >/dev/null 2>&1 || useradd --system --no-create-home \
    --shell /usr/sbin/nologin spooltest 2>/dev/null; then
	SP2=$W/spool2
	"$BIN/spooladmin" init "$SP2" >/dev/null
	chown -R spooltest: "$SP2"
	echo a >"$SP2/new/a-rootonly"
	chmod 600 "$SP2/new/a-rootonly"
	echo b >"$SP2/new/b-rootfails"
	echo c >"$SP2/new/c-rootok"
	echo d >"$SP2/new/d-theirs"
	chown spooltest: "$SP2/new/d-theirs"
	printf '#!/bin/sh\ncat >/dev/null\ncase "$SPOOL_JOB_ID" in b-*) exit 1;; esac\n' \
	    >"$W/h.sh"
	chmod 755 "$W/h.sh"
	timeout -s KILL 30 runuser -u spooltest -- "$BIN/spoold" -d "$SP2" \
	    --exec "$W/h.sh" --drain --max-attempts 3 --backoff 1s,1s \
	    2>"$W/spoold2.log"
	rc=$?
	check "spoold as another user drains root's files (exit $rc)" test $rc -eq 0
	check "root's readable jobs are done" \
	    test -f "$SP2/done/c-rootok" -a -f "$SP2/done/d-theirs"
	check "root's unreadable job is dead, with why" \
	    grep -q 'cannot open the job: Permission denied' "$SP2/meta/a-rootonly"
	check "root's failing job was retried (it cannot be re-dated) and is dead" \
	    test -f "$SP2/dead/b-rootfails" -a \
	    "$(grep -c ' retry ' "$SP2/meta/b-rootfails")" -eq 2
	check "nothing left queued, running or waiting" test -z \
	    "$(ls -A "$SP2/new")$(ls -A "$SP2/cur")$(ls -A "$SP2/wait")"
else
	echo "ok - another user's files # SKIP cannot add a user (needs root)"
fi
exit $failed
