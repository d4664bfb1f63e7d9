/*
 * Benchmark: the round-trip cost of one plugin call in a runner process
 * versus in the host process, measured in the same run on the fixture
 * type fixture-a (its test operation echoes the configuration).
 *
 *   bench_call [CALLS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/loader.h"
#include "plugin/pool.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Mean microseconds per call over @p calls calls (after 100 warm-up). */
static double measure(ch_isolation mode, long calls)
{
	ch_plugin_opts o = {
		.isolation = mode,
		.runner_exe = CH_TEST_CONNHUB,
		.runners = 1,
		.queue = 16,
		.call_timeout_ms = 30000,
		.load_timeout_ms = 5000,
		.memory_mb = 512,
		.files = 256,
		.quarantine_crashes = 3,
		.quarantine_window_s = 600,
	};
	const char *input = "{\"connector\":{\"id\":\"con_x\"},\"config\":{\"host\":\"h\",\"port\":5432}}";
	ch_plugin *p = NULL;
	char *reason = NULL, *out = NULL, *msg = NULL;
	double t0 = 0;

	ch_plugin_configure(&o);
	if (ch_plugin_load(&p, CH_TEST_FIXTURES "/good.so", &reason) != CH_OK) {
		fprintf(stderr, "load: %s\n", reason ? reason : "?");
		exit(1);
	}
	for (long i = -100; i < calls; i++) {
		if (i == 0)
			t0 = now_us();
		if (ch_plugin_call(ch_plugin_type(p, 0), CH_OP_TEST, "con_x", input, &out, &msg) !=
		    CH_OK) {
			fprintf(stderr, "call: %s\n", msg ? msg : "?");
			exit(1);
		}
		free(out);
	}
	t0 = (now_us() - t0) / (double)calls;
	ch_plugin_unload(p);
	return t0;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	double local = measure(CH_ISOLATION_NONE, calls);
	double runner = measure(CH_ISOLATION_PROCESS, calls);

	ch_pool_forget_all();
	printf("plugin call round trip, %ld calls of fixture-a test\n", calls);
	printf("  in-process: %8.2f us/call\n", local);
	printf("  runner:     %8.2f us/call\n", runner);
	printf("  ratio:      %8.1fx\n", runner / local);
	return 0;
}
