/* fd_tell, called directly (wasi-libc's lseek(fd, 0, SEEK_CUR) goes to fd_seek). */
#include <wasi/api.h>
#include "bench.h"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  int fd = make_file(ROOT "/tell.dat", 4096);
  if (lseek(fd, 123, SEEK_SET) != 123) die("lseek");
  uint64_t sum = 0;
  __wasi_filesize_t off;
  for (long i = 0; i < warmup_of(n); i++) {
    if (__wasi_fd_tell(fd, &off) != 0) die("fd_tell");
    sum += off;
  }
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (__wasi_fd_tell(fd, &off) != 0) die("fd_tell");
    sum += off;
  }
  uint64_t t1 = now_ns();
  if (off != 123) die("fd_tell offset");
  report("fd_tell", (uint64_t)n, t1 - t0);
  close(fd);
  return sum == 0;
}
