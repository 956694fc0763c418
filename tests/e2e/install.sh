#!/bin/sh
# install.sh - `make install` into a temporary DESTDIR, then use what it
# installed: the programs (--version, a submit drained by spoold, a
# supervisor that finds spoold next to itself), the library, header and
# pkg-config file (a tiny producer compiled against them), the man pages,
# and the systemd units (systemd-analyze verify, when it is there).
cd "$(dirname "$0")/../.." || exit 1
T=$(mktemp -d /tmp/spool-install.XXXXXX) || exit 1
R=$T/root
SUP=
failed=0
trap '[ -n "$SUP" ] && kill -9 "$SUP" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; failed=1; }
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
is() { [ "$1" = "$2" ]; }
wait_for() {	# wait_for SECONDS COMMAND...: poll every 20 ms
	_n=$(($1 * 50))
	shift
	until "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.02
	done
}

if make -s install PREFIX=/usr DESTDIR="$R" >"$T/make.log" 2>&1; then
	ok "make install PREFIX=/usr DESTDIR=..."
else
	nok "make install PREFIX=/usr DESTDIR=..."
	tail -20 "$T/make.log"
	exit 1
fi
B=$R/usr/bin
for p in spoolsubmit spoold spoolsupervise spoolstat spooladmin; do
	check "$p is installed and says its version" \
	    eval '"$B/$p" --version | grep -q "^$p [0-9]"'
done
for f in lib/libspool.a lib/libspool.so.0 include/spool/spool.h \
    include/spool/config.h lib/pkgconfig/spool.pc share/man/man8/spoolsupervise.8 \
    lib/systemd/system/spoolsupervise.service lib/systemd/system/spoold@.service; do
	check "$f is installed" test -f "$R/usr/$f"
done
check "the units run the installed programs" \
    eval '! grep -h "^Exec" "$R"/usr/lib/systemd/system/*.service | grep -v -e "=/usr/bin/" -e "=/bin/kill "'

# The installed programs, on a spool of their own.
"$B/spooladmin" init "$T/spool"
id=$(echo hello | "$B/spoolsubmit" -d "$T/spool")
check "the installed spoolsubmit queues a job" test -f "$T/spool/new/$id"
"$B/spoold" -d "$T/spool" --stamp --drain 2>"$T/spoold.log"
check "the installed spoold --drain does it" grep -q "^processed " "$T/spool/done/$id"
cat >"$T/c.yaml" <<EOF
spool: $T/spool
consumer: {stamp: true}
supervise:
  consumers: 1
  producers: [[--random, "20", --size, "16"]]
EOF
PATH=/nonexistent "$B/spoolsupervise" -c "$T/c.yaml" >"$T/ids" 2>"$T/sup.log" &
SUP=$!
check "the installed spoolsupervise finds spoold and spoolsubmit beside it" \
    wait_for 20 eval '[ "$(ls "$T/spool/done" | wc -l)" -eq 21 ]'
kill -TERM $SUP
wait $SUP
check "... and stops with exit 0" is $? 0
SUP=

# A producer of our own.
cat >"$T/prog.c" <<'EOF'
#include <stdio.h>
#include <spool/spool.h>

int
main(int argc, char **argv)
{
	char id[SPOOL_ID_MAX + 1];
	struct spool_submit *s;
	struct spool *sp;
	size_t queued;

	if (argc != 2 || spool_open(&sp, argv[1], 0) < 0 ||
	    (s = spool_submit_open(sp, 0)) == NULL ||
	    spool_submit_add(s, "hi\n", 3, id) < 0 ||
	    spool_submit_commit(s, &queued) < 0)
		return 1;
	printf("%s\n", id);
	spool_submit_close(s);
	spool_close(sp);
	return 0;
}
EOF
# Built with the installed header, library and pkg-config file.
compile_checks() {
	export PKG_CONFIG_PATH="$R/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$R"
	check "pkg-config knows spool" \
	    eval 'pkg-config --modversion spool | grep -q "^[0-9]"'
	check "a program compiles and links against the installed libspool" \
	    eval 'cc -o "$T/prog" "$T/prog.c" $(pkg-config --cflags --libs spool) \
	    2>"$T/cc.log"'
	id=$(LD_LIBRARY_PATH="$R/usr/lib" "$T/prog" "$T/spool")
	check "... and submits a job through libspool.so.0" test -f "$T/spool/new/$id"
	check "... and links statically too (pkg-config --static)" \
	    eval 'cc -o "$T/prog.static" "$T/prog.c" $(pkg-config --cflags spool) \
	    -Wl,-Bstatic $(pkg-config --static --libs-only-l spool | sed "s/-lpthread//") \
	    -Wl,-Bdynamic -lpthread $(pkg-config --libs-only-L spool) 2>>"$T/cc.log" &&
	    "$T/prog.static" "$T/spool" >/dev/null'
	[ $failed -eq 0 ] || cat "$T/cc.log"
}
if command -v pkg-config >/dev/null 2>&1; then
	compile_checks
else
	ok "a program built with pkg-config # skip pkg-config not installed"
fi

# systemd-analyze checks that ExecStart names an executable, so the units
# are verified where a plain PREFIX install put the programs.
if command -v systemd-analyze >/dev/null 2>&1; then
	make -s install PREFIX="$T/prefix" >>"$T/make.log" 2>&1
	for u in spoolsupervise.service spoold@.service; do
		out=$(cd "$T/prefix/lib/systemd/system" &&
		    systemd-analyze verify --man=no "./$u" 2>&1)
		rc=$?
		check "systemd-analyze verify $u" eval '[ $rc -eq 0 ] && [ -z "$out" ]'
		[ -z "$out" ] || printf '%s\n' "$out"
	done
else
	ok "systemd-analyze verify the units # skip systemd-analyze not installed"
fi
exit $failed
