/* SPDX-License-Identifier: MIT
 * sim/simrng.c: splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough to shuffle a
 * fleet and roll fault dice. */
#include "sim/simrng.h"

#include <stdio.h>

void simrng_seed(struct simrng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t simrng_next(struct simrng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t simrng_below(struct simrng *r, uint32_t n)
{
    if (n == 0)
        return 0;
    return (uint32_t)(((simrng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double simrng_unit(struct simrng *r)
{
    return (double)(simrng_next(r) >> 11) / 9007199254740992.0; /* 2^53 */
}

void simrng_guid(struct simrng *r, char out[37])
{
    uint64_t a = simrng_next(r), b = simrng_next(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xffff), (unsigned)(a & 0xfff),
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffULL));
}
