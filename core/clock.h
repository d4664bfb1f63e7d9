/* Clocks in milliseconds. */
#ifndef CH_CLOCK_H
#define CH_CLOCK_H

#include <stdint.h>

/** Milliseconds since the Unix epoch. */
int64_t ch_clock_wall_ms(void);

/** Milliseconds of a monotonic clock, for durations and expiry. */
int64_t ch_clock_mono_ms(void);

#endif /* CH_CLOCK_H */
