/*
 * open() of an existing file, then fd_renumber onto a descriptor that stays the program's
 * (what a shell's redirection does): the old one there is closed by the renumber.
 */
#include <wasi/api.h>
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 100000);
  close(make_file(ROOT "/renumber.dat", 16));
  int target = open(ROOT "/renumber.dat", O_RDONLY);
  if (target < 0) die("open");
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    int fd = open(ROOT "/renumber.dat", O_RDONLY);
    if (fd < 0) die("open");
    if (__wasi_fd_renumber((__wasi_fd_t)fd, (__wasi_fd_t)target) != 0) die("fd_renumber");
  }
  uint64_t t1 = now_ns();
  report("open_renumber", (uint64_t)n, t1 - t0);
  close(target);
  return 0;
}
