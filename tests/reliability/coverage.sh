#!/bin/sh
# coverage.sh - branch coverage of the I/O error paths: build with
# --coverage into build-cov/, run the error-injection suite (faults.sh,
# MODE=full unless told) with it, and report gcovr's branch and line
# coverage of the library's I/O modules.  Needs gcovr (deps.sh).
cd "$(dirname "$0")/../.." || exit 1
FILES=${FILES:-'spool/(io|submit|job|lease|recover)\.c'}
make -s B=build-cov CFLAGS="-O0 -g --coverage" LDFLAGS=--coverage \
    build-cov/bin/spoolsubmit build-cov/bin/spoold build-cov/bin/spooladmin ||
    exit 1
find build-cov -name '*.gcda' -delete
BIN=$PWD/build-cov/bin MODE=${MODE:-full} sh tests/reliability/faults.sh
rc=$?
echo "# branches:"
gcovr -r . --object-directory build-cov -f "$FILES" -b | sed 's/^/# /'
echo "# lines:"
gcovr -r . --object-directory build-cov -f "$FILES" | sed 's/^/# /'
exit $rc
