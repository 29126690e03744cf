/* stat() of a file by path. */
#include <sys/stat.h>
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 100000);
  close(make_file(ROOT "/stat.dat", 1234));
  struct stat st;
  uint64_t sum = 0;
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    if (stat(ROOT "/stat.dat", &st) != 0) die("stat");
    sum += (uint64_t)st.st_size;
  }
  uint64_t t1 = now_ns();
  if (st.st_size != 1234) die("stat size");
  report("stat", (uint64_t)n, t1 - t0);
  return sum == 0;
}
