/*
 * bsclient.c - the beanstalkd peer: a client of the beanstalk text protocol
 * on 127.0.0.1.
 *
 *   bsclient put PORT N P		N puts of 100 bytes, P in flight
 *   bsclient drain PORT N C P		C connections reserve (with timeout
 *					0) and delete, P in flight, until the
 *					tube is empty
 *   bsclient e2e PORT N C P		a producer putting P at a time, and C
 *					consumers reserving one at a time
 *
 * P = 1 is a request at a time: write, wait for the answer.  P > 1 writes P
 * requests, then reads P answers (pipelining).  Prints jobs per second.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define PROG "bsclient"
#define DIE_NOERRNO "protocol error"
#include "common.h"

struct conn {
	int fd;
	char in[65536];
	size_t have, off;
	char out[65536];
	size_t olen;
};

static struct conn *
dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons((unsigned short)port) };
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c == NULL || (c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

static void
queue(struct conn *c, const void *p, size_t len)
{
	if (c->olen + len > sizeof(c->out)) {
		errno = 0;
		die("request buffer full");
	}
	memcpy(c->out + c->olen, p, len);
	c->olen += len;
}

static void
flush(struct conn *c)
{
	size_t off = 0;
	ssize_t n;

	while (off < c->olen) {
		if ((n = write(c->fd, c->out + off, c->olen - off)) < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		off += (size_t)n;
	}
	c->olen = 0;
}

/* At least len bytes from off on, buffered. */
static void
need(struct conn *c, size_t len)
{
	ssize_t n;

	while (c->have - c->off < len) {
		if (c->off > 0) {
			memmove(c->in, c->in + c->off, c->have - c->off);
			c->have -= c->off;
			c->off = 0;
		}
		n = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			die("read");
		}
		c->have += (size_t)n;
	}
}

/* One "\r\n"-terminated line, NUL-terminated in place. */
static char *
line(struct conn *c)
{
	char *p, *nl;
	size_t want = 2;

	for (;;) {
		need(c, want);
		p = c->in + c->off;
		if ((nl = memmem(p, c->have - c->off, "\r\n", 2)) != NULL)
			break;
		want = c->have - c->off + 1;
	}
	*nl = '\0';
	c->off += (size_t)(nl - p) + 2;
	return p;
}

static void
put(struct conn *c, long p)
{
	char hdr[64];
	int len = snprintf(hdr, sizeof(hdr), "put 0 0 60 %zu\r\n",
	    sizeof(payload));
	long i;

	for (i = 0; i < p; i++) {
		queue(c, hdr, (size_t)len);
		queue(c, payload, sizeof(payload));
		queue(c, "\r\n", 2);
	}
	flush(c);
	for (i = 0; i < p; i++)
		if (strncmp(line(c), "INSERTED ", 9) != 0) {
			errno = 0;
			die("put");
		}
}

static void
produce(int port, long n, long p)
{
	struct conn *c = dial(port);
	long i;

	for (i = 0; i < n; i += p)
		put(c, i + p <= n ? p : n - i);
}

/* Reserve up to p jobs, delete them: how many there were. */
static long
reserve(struct conn *c, long p, int timeout)
{
	unsigned long long id[1024];
	char req[64], *l;
	size_t bytes;
	long i, got = 0;
	int len = snprintf(req, sizeof(req), "reserve-with-timeout %d\r\n",
	    timeout);

	for (i = 0; i < p; i++)
		queue(c, req, (size_t)len);
	flush(c);
	for (i = 0; i < p; i++) {
		l = line(c);
		if (strcmp(l, "TIMED_OUT") == 0)
			continue;
		if (sscanf(l, "RESERVED %llu %zu", &id[got], &bytes) != 2) {
			errno = 0;
			die("reserve");
		}
		need(c, bytes + 2);	/* the job: the no-op handler */
		c->off += bytes + 2;
		got++;
	}
	for (i = 0; i < got; i++) {
		len = snprintf(req, sizeof(req), "delete %llu\r\n", id[i]);
		queue(c, req, (size_t)len);
	}
	flush(c);
	for (i = 0; i < got; i++)
		if (strcmp(line(c), "DELETED") != 0) {
			errno = 0;
			die("delete");
		}
	return got;
}

static void
consume(int port, long n, long p, int e2e)
{
	struct conn *c = dial(port);
	long got;

	for (;;) {
		got = reserve(c, p, e2e ? 1 : 0);
		if (done_add(got, n))
			return;
		if (got == 0 && !e2e)
			return;
	}
}

int
main(int argc, char **argv)
{
	const char *mode;
	long n, c = 1, p = 1;
	int port, k;
	double t0;

	mode = mode_arg(argc, argv, 5, "put|drain|e2e PORT N [C] P");
	port = atoi(argv[2]);
	n = atol(argv[3]);
	p = atol(argv[argc - 1]);
	if (argc > 5)
		c = atol(argv[4]);
	if (p < 1 || p > 1024) {
		fprintf(stderr, "bsclient: P is 1 to 1024\n");
		return 64;
	}
	payload_init('x');
	shared_map(0);
	t0 = now();
	if (strcmp(mode, "put") == 0) {
		produce(port, n, p);
		sh->end = now();
		sh->done = n;
	} else if (strcmp(mode, "drain") == 0 || strcmp(mode, "e2e") == 0) {
		int e2e = mode[0] == 'e';
		if ((k = spawn((int)c + e2e)) >= 0) {
			if (k < c)
				consume(port, n, e2e ? 1 : p, e2e);
			else
				produce(port, n, p);
			_exit(0);
		}
		wait_all((int)c + e2e);
	} else
		return unknown_mode(mode);
	return finish(n, t0);
}
