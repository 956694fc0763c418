#!/bin/sh
# tests/reliability/fuzz/run.sh - build the fuzz targets and run each one.
#
#   FUZZ_TIME=60        seconds per target (make fuzz; 10 while developing)
#   FUZZ_TARGETS="..."  which of: config id meta lease stat (default: all)
#   FUZZ_TMP=/dev/shm   where the scratch spools go (tmpfs: fast)
#   FUZZ_ENGINE=afl     AFL++ (afl-clang-fast + libAFLDriver) instead of
#                       libFuzzer; needs afl++ (apt-get install afl++)
#
# libFuzzer builds with clang -fsanitize=fuzzer,address,undefined into
# build-fuzz/ (the library through the Makefile's own rules).  Each run
# starts from the committed seeds (seeds/TARGET) and the kept crashers
# (regress/TARGET), grows its corpus in build-fuzz/corpus/TARGET, and puts
# what it finds in build-fuzz/crash/.  A finding makes the run fail; once
# fixed, copy the input to regress/TARGET/ so that make check replays it
# (tests/unit/test_fuzz_regress.c).  Prints "ok - fuzz TARGET: N
# executions" or "not ok - ..." and "# figure fuzz_TARGET_execs N".
cd "$(dirname "$0")/../../.." || exit 1
F=tests/reliability/fuzz
B=build-fuzz
TIME=${FUZZ_TIME:-60}
TARGETS=${FUZZ_TARGETS:-config id meta lease stat}
ENGINE=${FUZZ_ENGINE:-libfuzzer}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
LIBS="-linotifytools -lyaml -lpthread"
failed=0

extra() {	# objects a target needs besides libspool
	case $1 in
	stat) echo "$B/tools/stat_info.o $B/tools/stat_out.o $B/tools/cli.o" ;;
	esac
}

if [ "$ENGINE" = afl ]; then
	command -v afl-clang-fast >/dev/null || {
		echo "not ok - fuzz: afl-clang-fast not found (apt-get install afl++)"
		exit 1
	}
	B=build-afl
	CCF=afl-clang-fast
	CFL="-O1 -g $SAN"
	DRIVER=$(ls /usr/lib/afl/libAFLDriver.a /usr/lib/*/afl/libAFLDriver.a \
	    2>/dev/null | head -1)
	[ -n "$DRIVER" ] || { echo "not ok - fuzz: no libAFLDriver.a"; exit 1; }
	LINK="$DRIVER $SAN"
else
	CCF=clang
	CFL="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $SAN"
	LINK="-fsanitize=fuzzer $SAN"
fi

objs="$B/libspool.a"
for t in $TARGETS; do objs="$objs $(extra "$t")"; done
# The Makefile's pattern rules build the library and the tool objects.
make -s B=$B CC=$CCF CFLAGS="$CFL" $objs >/dev/null || {
	echo "not ok - fuzz: cannot build libspool for fuzzing"
	exit 1
}
mkdir -p $B/fuzz $B/crash
for t in $TARGETS; do
	exe=$B/fuzz/fuzz_$t
	if [ ! -x "$exe" ] || [ -n "$(find $F/fuzz_$t.c $F/fuzz.h $objs \
	    -newer "$exe" 2>/dev/null)" ]; then
		$CCF $CFL -D_GNU_SOURCE -Ispool -Itools -o "$exe" $F/fuzz_$t.c \
		    $(extra "$t") $B/libspool.a $LINK $LIBS || {
			echo "not ok - fuzz $t: does not build"
			failed=1
			continue
		}
	fi
done

run_libfuzzer() {	# TARGET
	mkdir -p $B/corpus/$1 $F/regress/$1
	log=$B/fuzz/$1.log
	# The scratch spools go to TMPDIR; keep them off the shared /tmp.
	scratch=$(mktemp -d "${FUZZ_TMP:-/dev/shm}/spoolfuzz-$1.XXXXXX")
	TMPDIR=$scratch ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 \
	    $B/fuzz/fuzz_$1 -max_total_time="$TIME" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix=$B/crash/$1- \
	    $B/corpus/$1 $F/seeds/$1 $F/regress/$1 >"$log" 2>&1
	rc=$?
	rm -rf "$scratch"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "# figure fuzz_$1_execs ${execs:-0}"
	if [ $rc -eq 0 ]; then
		echo "ok - fuzz $1: ${execs:-0} executions in ${TIME}s," \
		    "corpus $(ls $B/corpus/$1 | wc -l), no finding"
	else
		grep -E 'ERROR|SUMMARY|property|==[0-9]+==|Test unit written' \
		    "$log" | head -12 | sed 's/^/# /'
		echo "not ok - fuzz $1: finding after ${execs:-?} executions" \
		    "(log $log)"
		failed=1
	fi
}

run_afl() {	# TARGET
	mkdir -p $B/out
	in=$B/in/$1
	rm -rf "$in" && mkdir -p "$in"
	cp $F/seeds/$1/* "$in"/ 2>/dev/null
	cp $F/regress/$1/* "$in"/ 2>/dev/null
	scratch=$(mktemp -d "${FUZZ_TMP:-/dev/shm}/spoolfuzz-$1.XXXXXX")
	TMPDIR=$scratch AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 \
	    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
	    ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
	    timeout -s INT $((TIME + 30)) afl-fuzz -V "$TIME" -m none \
	    -i "$in" -o $B/out/$1 -- $B/fuzz/fuzz_$1 >$B/fuzz/$1.afl.log 2>&1
	rm -rf "$scratch"
	execs=$(sed -n 's/^execs_done *: *//p' $B/out/$1/default/fuzzer_stats \
	    2>/dev/null)
	crashes=$(ls $B/out/$1/default/crashes 2>/dev/null | grep -vc README)
	echo "# figure afl_$1_execs ${execs:-0}"
	if [ -n "$execs" ] && [ "$crashes" -eq 0 ]; then
		echo "ok - afl $1: $execs executions in ${TIME}s, no crash"
	else
		tail -5 $B/fuzz/$1.afl.log | sed 's/^/# /'
		echo "not ok - afl $1: ${crashes:-?} crashes (in $B/out/$1)"
		failed=1
	fi
}

for t in $TARGETS; do
	[ -x $B/fuzz/fuzz_$t ] || continue
	if [ "$ENGINE" = afl ]; then run_afl "$t"; else run_libfuzzer "$t"; fi
done
exit $failed
