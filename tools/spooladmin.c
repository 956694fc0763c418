/*
 * spooladmin - administer a spool: init.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] = "spooladmin [-d DIR] [-c FILE] init [DIR]";

int
main(int argc, char **argv)
{
	struct spool_config cf;
	const char *dir = NULL, *conf = NULL;
	int i;

	cli_prog = "spooladmin";
	spool_config_defaults(&cf);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (cli_common(argv[i], usage))
			return 0;
		if (i + 1 >= argc)
			cli_usage(usage);
		if (strcmp(argv[i], "-d") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "-c") == 0)
			conf = argv[++i];
		else
			cli_usage(usage);
	}
	if (conf)
		cli_config_load(&cf, conf);
	if (i >= argc)
		cli_usage(usage);
	if (strcmp(argv[i], "init") == 0) {
		if (i + 1 < argc)
			dir = argv[++i];
		if (i + 1 != argc)
			cli_usage(usage);
		dir = cli_spool_dir(dir, &cf);
		if (spool_init(dir) < 0)
			cli_die_errno("unable to create spool %s", dir);
		return 0;
	}
	cli_usage(usage);
}
