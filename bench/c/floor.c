/*
 * The floors the other rows are compared with, measured in the same run: an import that does
 * nothing, the same with an i64 argument (a BigInt in JS), and one shaped like fd_seek (an
 * i64 argument, a u64 stored into memory). The imports come from the runner (module
 * "bench"). Each loop runs 5 times and the fastest counts: a floor is the least a call costs.
 */
#include "bench.h"

__attribute__((import_module("bench"), import_name("empty")))
void bench_empty(void);
__attribute__((import_module("bench"), import_name("empty_i64")))
void bench_empty_i64(int64_t value);
__attribute__((import_module("bench"), import_name("seeklike")))
int32_t bench_seeklike(int32_t fd, int64_t offset, int32_t whence, uint64_t *out);

static uint64_t slot, sum;

static uint64_t time_loop(int which, long n) {
  uint64_t best = UINT64_MAX;
  for (int rep = 0; rep < 5; rep++) {
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
      if (which == 0) bench_empty();
      else if (which == 1) bench_empty_i64(i & 4095);
      else sum += (uint64_t)bench_seeklike(3, i & 4095, 0, &slot) + slot;
    }
    uint64_t t = now_ns() - t0;
    if (t < best) best = t;
  }
  return best;
}

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  for (int which = 0; which < 3; which++) time_loop(which, warmup_of(n));
  report("floor_empty", (uint64_t)n, time_loop(0, n));
  report("floor_i64_arg", (uint64_t)n, time_loop(1, n));
  report("floor_seeklike", (uint64_t)n, time_loop(2, n));
  return sum == 0;
}
