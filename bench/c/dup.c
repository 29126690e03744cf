/*
 * dup() + close() through the dup extension (import module wasix_32v1). WASI itself has no
 * dup, so only refwasi runs this one.
 */
#include "bench.h"

__attribute__((import_module("wasix_32v1"), import_name("fd_dup")))
int32_t wasix_fd_dup(int32_t fd, int32_t *ret_fd);

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  int fd = make_file(ROOT "/dup.dat", 16);
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    int32_t nfd;
    if (wasix_fd_dup(fd, &nfd) != 0) die("fd_dup");
    close(nfd);
  }
  uint64_t t1 = now_ns();
  report("dup_close", (uint64_t)n, t1 - t0);
  close(fd);
  return 0;
}
