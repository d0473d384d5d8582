/* SPDX-License-Identifier: MIT
 * sim/simrng.h: gpup-sim's own seeded pseudo-random numbers (splitmix64), so that a generated
 * fleet and the fault decisions are the same for a seed on every platform. Not for secrets. */
#ifndef GPUP_SIM_SIMRNG_H
#define GPUP_SIM_SIMRNG_H

#include <stdint.h>

struct simrng {
    uint64_t state;
};

void simrng_seed(struct simrng *r, uint64_t seed);
uint64_t simrng_next(struct simrng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint32_t simrng_below(struct simrng *r, uint32_t n);
/* Uniform in [0, 1). */
double simrng_unit(struct simrng *r);
/* A GUID-shaped string (36 chars + NUL) from the generator. */
void simrng_guid(struct simrng *r, char out[37]);

#endif
