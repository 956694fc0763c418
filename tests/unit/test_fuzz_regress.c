/*
 * test_fuzz_regress.c - the fuzz targets (tests/reliability/fuzz/) run on
 * their committed seeds and on every crasher they found, kept in
 * regress/TARGET/: each input once, in a child, so that a property that
 * fails (an abort) or a crash names its file.  make check runs this plain,
 * under ASan+UBSan and under valgrind, like every unit test.
 *
 * Each target is included under its own name; they share fuzz.h and its
 * scratch spool.  FUZZ_DIR overrides where the inputs are (run from the
 * top of the tree, as tests/run does).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../reliability/fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_id_one
#include "../reliability/fuzz/fuzz_id.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_meta_one
#include "../reliability/fuzz/fuzz_meta.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_lease_one
#include "../reliability/fuzz/fuzz_lease.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_stat_one
#include "../reliability/fuzz/fuzz_stat.c"
#undef LLVMFuzzerTestOneInput

typedef int (*target_fn)(const uint8_t *, size_t);

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Run fn on one input in a child: 1 it passed, 0 it failed. */
static int
replay_one(target_fn fn, const char *path)
{
	size_t len;
	uint8_t *data = slurp(path, &len);
	int ws;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		fn(data, len);
		fz_cleanup();
		free(data);	/* the child ends with nothing of its own */
		_exit(0);
	}
	free(data);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

/* Every file of DIR/seeds/TARGET and DIR/regress/TARGET; the count. */
static void
replay(const char *target, target_fn fn)
{
	static const char *const kinds[] = { "seeds", "regress" };
	const char *top = getenv("FUZZ_DIR");
	char dir[512], path[1024];
	struct dirent *de;
	int n = 0, bad = 0;
	size_t k;
	DIR *d;

	if (top == NULL || *top == '\0')
		top = "tests/reliability/fuzz";
	for (k = 0; k < 2; k++) {
		char **names = NULL;
		size_t nn = 0, i;

		snprintf(dir, sizeof(dir), "%s/%s/%s", top, kinds[k], target);
		if ((d = opendir(dir)) == NULL) {
			if (k == 0)
				fail_msg("%s: %s", dir, strerror(errno));
			continue;
		}
		/* Names first, the directory closed before any fork: a child
		 * (valgrind follows it) holds nothing it could leak. */
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			names = realloc(names, (nn + 1) * sizeof(*names));
			assert_non_null(names);
			assert_non_null(names[nn++] = strdup(de->d_name));
		}
		closedir(d);
		for (i = 0; i < nn; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			n++;
			if (!replay_one(fn, path)) {
				print_error("%s fails\n", path);
				bad++;
			}
			free(names[i]);
		}
		free(names);
	}
	print_message("%s: %d inputs replayed\n", target, n);
	assert_true(n > 0);
	if (bad)
		fail_msg("%d of %d inputs of %s fail", bad, n, target);
}

static void test_config(void **s) { (void)s; replay("config", fuzz_config_one); }
static void test_id(void **s) { (void)s; replay("id", fuzz_id_one); }
static void test_meta(void **s) { (void)s; replay("meta", fuzz_meta_one); }
static void test_lease(void **s) { (void)s; replay("lease", fuzz_lease_one); }
static void test_stat(void **s) { (void)s; replay("stat", fuzz_stat_one); }

int
main(void)
{
	char scratch[] = "/tmp/spool-fuzz-regress.XXXXXX";
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_stat),
	};

	/* The children's scratch spools, removed even if one aborted. */
	if (mkdtemp(scratch) == NULL || setenv("TMPDIR", scratch, 1) < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	nftw(scratch, fz_rm1, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
