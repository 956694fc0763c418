/*
 * worker.c - the no-op worker for `spoold --worker`: a job's path on each
 * line of stdin, "ok" on stdout for each, at once.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char buf[65536];
	ssize_t n, i;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		char out[sizeof(buf) / 2 * 3];
		size_t len = 0;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n') {
				memcpy(out + len, "ok\n", 3);
				len += 3;
			}
		if (len > 0 && write(1, out, len) != (ssize_t)len)
			return 1;
	}
	return 0;
}
