/* fd_seek: lseek to a varying position in a 4 KiB file. */
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  int fd = make_file(ROOT "/seek.dat", 4096);
  uint64_t sum = 0;
  for (long i = 0; i < warmup_of(n); i++) sum += (uint64_t)lseek(fd, i & 4095, SEEK_SET);
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++) sum += (uint64_t)lseek(fd, i & 4095, SEEK_SET);
  uint64_t t1 = now_ns();
  if (lseek(fd, 7, SEEK_SET) != 7) die("lseek");
  report("fd_seek", (uint64_t)n, t1 - t0);
  close(fd);
  return sum == 0; /* keeps the loop */
}
