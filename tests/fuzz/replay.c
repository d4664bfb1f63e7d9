/*
 * Replays saved fuzz inputs through LLVMFuzzerTestOneInput, so builds
 * without libFuzzer (gcc) still run them: each argument is a file or a
 * directory of files. A crash or a sanitizer report fails the test; so
 * does finding no input at all.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;
	int rc = -1;

	if (!f)
		goto out;
	do {
		if (len == cap) {
			uint8_t *p = realloc(data, cap ? cap * 2 : 4096);

			if (!p)
				goto out;
			data = p;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	LLVMFuzzerTestOneInput(data, len);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "replay: cannot read %s\n", path);
	if (f)
		fclose(f);
	free(data);
	return rc;
}

/* Runs every regular file of @p dir; returns how many, or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	struct stat st;
	int n = 0;

	if (!d)
		return -1;
	for (e = readdir(d); e && n >= 0; e = readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			n = run_file(path) == 0 ? n + 1 : -1;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct stat st;
	int total = 0;

	for (int i = 1; i < argc; i++) {
		int n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? run_dir(argv[i])
								       : (run_file(argv[i]) == 0 ? 1 : -1);

		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %d input(s)\n", total);
	return total > 0 ? 0 : 1;
}
