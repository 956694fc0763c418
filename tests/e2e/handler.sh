#!/bin/sh
# handler.sh - what an --exec handler's end does to its job, and what it
# gets.  Exit 1 is retried and dead after exactly --max-attempts runs, with
# the exit status and the tail of its stderr in the history; exit 65 and
# 100 are dead at once; exit 75 and a signal are retried; a handler past
# --timeout is killed and retried.  A handler gets SPOOL_DIR, SPOOL_JOB_ID,
# SPOOL_JOB_PATH, SPOOL_ATTEMPT, the job on stdin and its path as the last
# argument, after its own quoted arguments.
. "$(dirname "$0")/core.inc"

# The first line of a job says what its handler does.
cat >"$T/h.sh" <<EOF
#!/bin/sh
echo "\$SPOOL_JOB_ID \$SPOOL_ATTEMPT" >>"$T/runs"
read -r what arg <"\$SPOOL_JOB_PATH"
case \$what in
fail)	echo "attempt \$SPOOL_ATTEMPT failing" >&2
	echo "stderr tail: exit \$arg" >&2
	exit "\$arg" ;;
later)	[ "\$SPOOL_ATTEMPT" -ge 2 ] && exit 0
	echo "not yet" >&2
	exit 75 ;;
signal)	[ "\$SPOOL_ATTEMPT" -ge 2 ] && exit 0
	kill -9 \$\$ ;;
hang)	[ "\$SPOOL_ATTEMPT" -ge 2 ] && exit 0
	echo \$\$ >"$T/hang.pid"
	sleep 30
	exit 0 ;;
env)	{
		echo "dir=\$SPOOL_DIR"
		echo "id=\$SPOOL_JOB_ID"
		echo "path=\$SPOOL_JOB_PATH"
		echo "attempt=\$SPOOL_ATTEMPT"
		echo "argc=\$#"
		echo "arg1=\$1"
		echo "arg2=\$2"
		eval "echo last=\\\${\$#}"
		[ -f "\$SPOOL_JOB_PATH" ] && echo "file=yes"
	} >"$T/env.out"
	cat >"$T/stdin.out" ;;
esac
exit 0
EOF
chmod +x "$T/h.sh"
: >"$T/runs"

fail1=$(submit "fail 1")
fail65=$(submit "fail 65")
fail100=$(submit "fail 100")
later=$(submit "later")
signal=$(submit "signal")
hang=$(submit "hang")
printf 'env\nline two\n\ttabbed \\ line\n' >"$T/env.job"
envjob=$("$BIN/spoolsubmit" -d "$SP" "$T/env.job")
t0=$(ms)
spoold --exec "$T/h.sh --flag 'two words'" -j 4 --max-attempts 3 \
    --backoff 50ms,100ms --timeout 1s --grace 500ms
D=$SPOOLD

runs() { grep -c "^$1 " "$T/runs"; }
dead_reason() { grep ' dead ' "$SP/meta/$1"; }

# Poison: three runs, then dead with the status and the stderr tail.
check "exit 1: dead" wait_for 20 in_state "$fail1" dead
check "exit 1: exactly --max-attempts (3) runs" is "$(runs "$fail1")" 3
check "exit 1: two retries, then dead" is \
    "$(events "$fail1" retry) $(events "$fail1" dead)" "2 1"
r=$(dead_reason "$fail1")
check "exit 1: the reason has the exit status" has "$r" 'status="exit 1"'
check "exit 1: the reason has the stderr tail" has "$r" 'stderr tail: exit 1'
check "exit 1: the reason says max attempts" has "$r" 'max attempts (3)'
check "exit 1: attempts 1, 2, 3 in SPOOL_ATTEMPT" is \
    "$(grep "^$fail1 " "$T/runs" | cut -d' ' -f2 | tr '\n' ' ')" "1 2 3 "

for j in "$fail65:65" "$fail100:100"; do
	id=${j%:*} code=${j#*:}
	check "exit $code: dead at once" wait_for 20 in_state "$id" dead
	check "exit $code: one run" is "$(runs "$id")" 1
	check "exit $code: the reason has the status" has "$(dead_reason "$id")" \
	    "status=\"exit $code\""
	check "exit $code: the reason has the stderr tail" has \
	    "$(dead_reason "$id")" "stderr tail: exit $code"
done

check "exit 75: retried, then done" wait_for 20 in_state "$later" done
check "exit 75: two runs" is "$(runs "$later")" 2
check "exit 75: the retry is in the history" has \
    "$(grep ' retry ' "$SP/meta/$later")" 'status="exit 75".*not yet'

check "a signal: retried, then done" wait_for 20 in_state "$signal" done
check "a signal: the retry says which" has \
    "$(grep ' retry ' "$SP/meta/$signal")" 'status="signal 9"'

check "timeout: retried, then done" wait_for 20 in_state "$hang" done
check "timeout: well before the handler's 30 s" test $(($(ms) - t0)) -lt 15000
check "timeout: the retry says timeout" has \
    "$(grep ' retry ' "$SP/meta/$hang")" 'status=timeout'
check "timeout: the hanging handler is gone" wait_for 2 dead "$(cat "$T/hang.pid")"

check "env job: done" wait_for 20 in_state "$envjob" done
dir=$(cd "$SP" && pwd -P)
check "SPOOL_DIR is the spool's absolute path" \
    grep -qx "dir=$dir" "$T/env.out"
check "SPOOL_JOB_ID is the ID" grep -qx "id=$envjob" "$T/env.out"
check "SPOOL_JOB_PATH is cur/ID" grep -qx "path=$dir/cur/$envjob" "$T/env.out"
check "SPOOL_ATTEMPT is 1 on the first run" grep -qx "attempt=1" "$T/env.out"
check "the handler's own arguments come first, quoting kept" is \
    "$(grep -E '^arg[12]=' "$T/env.out" | tr '\n' '|')" "arg1=--flag|arg2=two words|"
check "the job's path is the last argument" \
    grep -qx "last=$dir/cur/$envjob" "$T/env.out"
check "three arguments in all" grep -qx "argc=3" "$T/env.out"
check "the path names the job while it runs" grep -qx "file=yes" "$T/env.out"
check "the job is the handler's stdin" cmp -s "$T/env.job" "$T/stdin.out"

stop "$D"
check "spoold exits 0 on SIGTERM" is "$STATUS" 0
check "nothing left in new/ cur/ wait/" is "$(count new)$(count cur)$(count wait)" 000
exit $failed
