/* clock_time_get(CLOCK_MONOTONIC), as every program that times itself calls it. */
#include <wasi/api.h>
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  __wasi_timestamp_t t = 0, sum = 0;
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) die("clock_time_get");
    sum += t;
  }
  uint64_t t1 = now_ns();
  report("clock_time_get", (uint64_t)n, t1 - t0);
  return sum == 0;
}
