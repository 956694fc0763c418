#!/bin/sh
# tests/reliability/hygiene/run.sh - make check-hygiene: static analysis,
# the suite under ASan+UBSan built by gcc and by clang, valgrind on spoold
# after 10,000 jobs, and allocation failures.  Every part prints "ok - ..."
# or "not ok - ..."; the last line is "N passed, M failed".
#
#   PARTS="cppcheck tidy scan san-gcc san-clang valgrind mallocfail"
#   JOBS=10000   jobs for valgrind.sh
#
# Build directories: build-san (gcc, the Makefile's SAN=1), build-clang-san,
# build-scan (scan-build), build-hygiene (the failmalloc shim).  Exclusions
# and their reasons: cppcheck below, clang-tidy in clang-tidy.yaml.
cd "$(dirname "$0")/../../.." || exit 1
H=tests/reliability/hygiene
PARTS=${PARTS:-cppcheck tidy scan san-gcc san-clang valgrind mallocfail}
SRC="spool daemons tools"
CPPF="-D_GNU_SOURCE -DSPOOL_VERSION=\"0\" -Ispool -Itools -Idaemons"
log=$(mktemp) || exit 1
trap 'rm -f "$log" "$log.out"' EXIT

say() { printf '%s\n' "$*" | tee -a "$log"; }
ok() { say "ok - $*"; }
nok() { say "not ok - $*"; }
progs() { for p in spooladmin spoold spoolstat spoolsubmit spoolsupervise; do
	echo "$1/bin/$p"; done; }
units() { ls tests/unit/test_*.c | sed "s|tests/unit/\(.*\)\.c|$1/tests/\1|"; }

# cppcheck.  variableScope is off: declarations at the top of a function
# are the house style (style(9)), not a defect.
cppcheck_part() {
	cppcheck --enable=warning,style,performance,portability --std=c11 \
	    --inline-suppr --quiet --error-exitcode=1 $CPPF \
	    --suppress=missingIncludeSystem --suppress=variableScope \
	    $SRC tests/reliability/fuzz >"$log.out" 2>&1
	rc=$?
	n=$(grep -c ': \(error\|warning\|style\|performance\|portability\):' "$log.out")
	say "# figure cppcheck_findings $n"
	if [ $rc -eq 0 ] && [ "$n" -eq 0 ]; then
		ok "cppcheck: no finding in $SRC and the fuzz targets"
	else
		sed 's/^/# /' "$log.out" | head -40
		nok "cppcheck: $n finding(s)"
	fi
}

tidy_part() {
	clang-tidy --quiet --config-file=$H/clang-tidy.yaml spool/*.c \
	    daemons/*.c tools/*.c -- $CPPF >"$log.out" 2>/dev/null
	n=$(grep -c ': warning: \|: error: ' "$log.out")
	say "# figure clang_tidy_findings $n"
	if [ "$n" -eq 0 ]; then
		ok "clang-tidy (bugprone-*, cert-*, clang-analyzer-*; see clang-tidy.yaml): no finding"
	else
		grep ': warning: \|: error: ' "$log.out" | head -40 | sed 's/^/# /'
		nok "clang-tidy: $n finding(s)"
	fi
}

scan_part() {
	rm -rf build-scan
	scan-build -o build-scan/report --status-bugs make -s B=build-scan \
	    $(progs build-scan) >"$log.out" 2>&1
	rc=$?
	n=$(sed -n 's/^scan-build: \([0-9]*\) bugs\{0,1\} found.*/\1/p' "$log.out")
	say "# figure scan_build_findings ${n:-0}"
	if [ $rc -eq 0 ]; then
		ok "scan-build: no bug found"
	else
		grep 'warning:' "$log.out" | head -20 | sed 's/^/# /'
		nok "scan-build: ${n:-?} bug(s) (build-scan/report)"
	fi
}

# The unit tests and the end-to-end scripts with one sanitized build.
san_suite() {	# LABEL BUILDDIR
	for t in $(units "$2"); do
		[ -x "$t" ] || { nok "$1 $(basename "$t"): not built"; continue; }
		out=$("$t" 2>&1)
		rc=$?
		p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
		if [ $rc -eq 0 ]; then
			ok "$1 $(basename "$t"): $p passed"
		else
			printf '%s\n' "$out" | grep -v '^\[' | tail -15 | sed 's/^/# /'
			nok "$1 $(basename "$t"): exit $rc"
		fi
	done
	for e in tests/e2e/*.sh; do
		out=$(BIN="$PWD/$2/bin" BUILD=$2 sh "$e" 2>&1)
		rc=$?
		p=$(printf '%s\n' "$out" | grep -c '^ok ')
		f=$(printf '%s\n' "$out" | grep -c '^not ok ')
		if [ $rc -eq 0 ] && [ "$f" -eq 0 ]; then
			ok "$1 $(basename "$e" .sh): $p passed"
		else
			printf '%s\n' "$out" | grep '^not ok \|ERROR\|runtime error' |
			    head -10 | sed 's/^/# /'
			nok "$1 $(basename "$e" .sh): $f failed, exit $rc"
		fi
	done
}

san_gcc_part() {
	if make -s SAN=1 $(progs build-san) $(units build-san) >"$log.out" 2>&1; then
		san_suite "asan-gcc" build-san
	else
		tail -20 "$log.out" | sed 's/^/# /'
		nok "asan-gcc: build failed"
	fi
}

san_clang_part() {
	if make -s SAN=1 CC=clang B=build-clang-san $(progs build-clang-san) \
	    $(units build-clang-san) >"$log.out" 2>&1; then
		san_suite "asan-clang" build-clang-san
	else
		tail -20 "$log.out" | sed 's/^/# /'
		nok "asan-clang: build failed"
	fi
}

valgrind_part() {
	make -s $(progs build) >/dev/null 2>&1
	BIN=$PWD/build/bin sh $H/valgrind.sh 2>&1 | tee -a "$log" | grep -v '^# =='
}

mallocfail_part() {
	mkdir -p build-hygiene
	if ! ${CC:-cc} -O1 -g -shared -fPIC -Wall -Wextra -o build-hygiene/failmalloc.so \
	    $H/failmalloc.c -ldl; then
		nok "mallocfail: the shim does not build"
		return
	fi
	make -s $(progs build) >/dev/null 2>&1
	SHIM=$PWD/build-hygiene/failmalloc.so BIN=$PWD/build/bin \
	    sh $H/mallocfail.sh 2>&1 | tee -a "$log"
}

for part in $PARTS; do
	start=$(date +%s)
	case $part in
	cppcheck) cppcheck_part ;;
	tidy) tidy_part ;;
	scan) scan_part ;;
	san-gcc) san_gcc_part ;;
	san-clang) san_clang_part ;;
	valgrind) valgrind_part ;;
	mallocfail) mallocfail_part ;;
	*) nok "unknown part $part" ;;
	esac
	say "# figure seconds_$part $(($(date +%s) - start))"
done
pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
