/* fd_fdstat_get on an open file (what fcntl(F_GETFL) and isatty cost). */
#include <wasi/api.h>
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  int fd = make_file(ROOT "/fdstat.dat", 16);
  __wasi_fdstat_t st;
  uint64_t sum = 0;
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &st) != 0) die("fd_fdstat_get");
    sum += st.fs_filetype;
  }
  uint64_t t1 = now_ns();
  report("fd_fdstat_get", (uint64_t)n, t1 - t0);
  close(fd);
  return sum == 0;
}
