/* open() + close() of an existing file. */
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 100000);
  close(make_file(ROOT "/open.dat", 16));
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    int fd = open(ROOT "/open.dat", O_RDONLY);
    if (fd < 0) die("open");
    close(fd);
  }
  uint64_t t1 = now_ns();
  report("open_close", (uint64_t)n, t1 - t0);
  return 0;
}
