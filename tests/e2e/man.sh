#!/bin/sh
# man.sh - every manual page must be clean under `mandoc -Tlint`, style
# messages included; the example program of spool(3) must compile and run.
#
# mandoc checks each .Xr against a manual path.  Our own pages are put in a
# temporary man1/man3/man5/man8 tree in front of the system's, so that a
# reference to a spool page that does not exist fails the test.  A reference
# to a system page is the system's business: its absence (a host without
# manpages-dev) is not held against the page.
cd "$(dirname "$0")/../.." || exit 1

if ! command -v mandoc >/dev/null 2>&1; then
	echo "ok - mandoc lint # skip mandoc is not installed"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/spool-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

ours=
for p in man/*.[1358]; do
	[ -f "$p" ] || continue
	s=${p##*.}
	n=${p##*/}
	mkdir -p "$tmp/man/man$s"
	cp "$p" "$tmp/man/man$s/$n"
	ours="$ours ${n%.*}($s)"
done
if [ -z "$ours" ]; then
	echo "not ok - mandoc lint: no pages in man/"
	exit 1
fi

fail=0
for p in man/*.[1358]; do
	n=${p##*/}
	# -W style explicitly: only then does mandoc search MANPATH for .Xr.
	MANPATH="$tmp/man:${MANPATH:-$(manpath 2>/dev/null || echo /usr/share/man)}" \
	    mandoc -Tlint -W style "$p" >"$tmp/out" 2>&1
	# Keep the messages about the page; drop mandoc's notes about stale
	# databases and the system pages this host lacks.
	: >"$tmp/msgs"
	while IFS= read -r line; do
		case $line in
		*"outdated mandoc.db"*) continue ;;
		*"referenced manual not found: Xr "*)
			ref=${line##*Xr }
			case ${ref%% *} in spool*) ;; *) continue ;; esac
			;;
		esac
		printf '%s\n' "$line" >>"$tmp/msgs"
	done <"$tmp/out"
	if [ -s "$tmp/msgs" ]; then
		echo "not ok - mandoc lint $n"
		sed 's/^/# /' "$tmp/msgs"
		fail=1
	else
		echo "ok - mandoc lint $n"
	fi
done

# The EXAMPLES program of spool(3), as printed in the page, against the
# library just built.
build=${BUILD:-build}
lib=$build/libspool.a
if [ ! -f man/spool.3 ]; then
	:
elif [ ! -f "$lib" ] || ! command -v cc >/dev/null 2>&1; then
	echo "ok - spool.3 example # skip no $lib or no cc"
else
	awk '/^\.Sh EXAMPLES/ { ex = 1 }
	    ex && /^\.Ed/ { exit }
	    ex && go { print }
	    ex && /^\.Bd -literal/ { go = 1 }' man/spool.3 |
	    sed -e 's/\\e/\\/g' -e 's/\\&//g' >"$tmp/ex.c"
	san=
	case $build in *san*) san="-fsanitize=address,undefined" ;; esac
	if cc -Wall -Wextra -Werror $san -Ispool -o "$tmp/ex" \
	    "$tmp/ex.c" "$lib" -linotifytools -lyaml -lpthread \
	    >"$tmp/cc" 2>&1 &&
	    "$tmp/ex" "$tmp/spool" >"$tmp/run" 2>&1 &&
	    [ "$(grep -c '^hello$\|^world$' "$tmp/run")" -eq 2 ] &&
	    [ "$(ls "$tmp/spool/done" | wc -l)" -eq 2 ]; then
		echo "ok - spool.3 example compiles and runs"
	else
		echo "not ok - spool.3 example compiles and runs"
		sed 's/^/# /' "$tmp/cc" "$tmp/run" 2>/dev/null
		fail=1
	fi
fi
exit $fail
