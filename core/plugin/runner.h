/* Runner mode of the connhub binary (see runner.c). */
#ifndef CH_PLUGIN_RUNNER_H
#define CH_PLUGIN_RUNNER_H

/** The descriptor a runner talks to the host on. */
#define CH_RUNNER_FD 3

/** The exit status of a runner that died of a fatal signal at its memory
 *  limit (a plugin that ran out of memory, then aborted or crashed). */
#define CH_RUNNER_EXIT_MEMORY 99

/** The hidden subcommand that starts a runner. */
#define CH_RUNNER_COMMAND "__runner"

/** Serves the host until it closes the channel. Arguments: --memory-mb N
 *  --cpu-s N --files N. Returns the exit status. */
int ch_runner_main(int argc, char **argv);

#endif /* CH_PLUGIN_RUNNER_H */
