#!/bin/sh
# tests/reliability/deps.sh - what the reliability suites need beyond the
# build: strace, xfs_io and mkfs.xfs (xfsprogs), gcovr for the coverage of
# error paths.  Installed when run as root; otherwise named (tests/deps.sh).
exec sh "$(dirname "$0")/../deps.sh" strace xfsprogs gcovr python3 util-linux
