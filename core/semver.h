/*
 * Semantic versions (semver.org 2.0.0): parsing and precedence.
 */
#ifndef CH_SEMVER_H
#define CH_SEMVER_H

#include <stdbool.h>

/** True when @p s is a valid semantic version "MAJOR.MINOR.PATCH" with an
 *  optional "-prerelease" and "+build". */
bool ch_semver_valid(const char *s);

/**
 * Compares two valid versions by semver precedence (build metadata is
 * ignored; a pre-release sorts before its release).
 * @return <0, 0 or >0. Invalid input sorts before valid input.
 */
int ch_semver_cmp(const char *a, const char *b);

#endif /* CH_SEMVER_H */
