/*
 * The floors the other rows are compared with, measured in the same run: an import that does
 * nothing, and one shaped like fd_seek (an i64 argument, a u64 stored into memory). The
 * imports come from the runner (module "bench"); each loop is timed as the rows are.
 */
#include "bench.h"

__attribute__((import_module("bench"), import_name("empty")))
void bench_empty(void);
__attribute__((import_module("bench"), import_name("seeklike")))
int32_t bench_seeklike(int32_t fd, int64_t offset, int32_t whence, uint64_t *out);

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  uint64_t slot = 0, sum = 0;
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    bench_empty();
  }
  uint64_t t1 = now_ns();
  report("floor_empty", (uint64_t)n, t1 - t0);
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    sum += (uint64_t)bench_seeklike(3, i & 4095, 0, &slot) + slot;
  }
  t1 = now_ns();
  report("floor_seeklike", (uint64_t)n, t1 - t0);
  return sum == 0;
}
