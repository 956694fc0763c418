# lib.sh - what the reliability suites share, sourced: where things are, a
# work directory, results, and a cleanup that leaves no process, mount,
# loop device or sysctl change behind (each is registered when made).
#
# Results are TAP-like lines, "ok - what" / "not ok - what"; figures are
# "# figure NAME VALUE" lines that tests/reliability/run sums up.

REL=${REL:-$(cd "$(dirname "$0")" && pwd)}
ROOT=$(cd "$REL/../.." && pwd)
BIN=${BIN:-$ROOT/build/bin}
MODE=${MODE:-full}		# full | short
INV="python3 $REL/invariant.py"
W=$(mktemp -d /tmp/spool-rel.XXXXXX) || exit 1
failed=0

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; failed=1; }
figure() { echo "# figure $1 $2"; }
note() { echo "# $*"; }

# Things to undo, newest first.
reg_pid() { echo "pid $1" >>"$W/.undo"; }
reg_mount() { echo "mount $1" >>"$W/.undo"; }
reg_loop() { echo "loop $1" >>"$W/.undo"; }
reg_sysctl() { echo "sysctl $1 $(cat "/proc/sys/$(echo "$1" | tr . /)")" >>"$W/.undo"; }

cleanup() {
	if [ -f "$W/.undo" ]; then
		tac "$W/.undo" | while read -r what a b; do
			case $what in
			pid) kill -9 "$a" 2>/dev/null ;;
			mount) mountpoint -q "$a" && { umount "$a" 2>/dev/null ||
			    umount -l "$a"; } ;;
			loop) losetup -d "$a" 2>/dev/null ;;
			sysctl) sysctl -q -w "$a=$b" >/dev/null ;;
			esac
		done
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_for SECONDS COMMAND...: poll every 10 ms until COMMAND succeeds.
wait_for() {
	_n=$(($1 * 100))
	shift
	until "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.01
	done
}

count() { ls "$1" 2>/dev/null | wc -l; }

# A process's state letter (R S D T t Z), or nothing once it is gone.
pstate() { sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
# Dead (or a zombie): the process has stopped running.
gone() { _s=$(pstate "$1"); [ -z "$_s" ] || [ "$_s" = Z ]; }
