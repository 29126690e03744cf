/*
 * 64 MiB through a pipe of the dup extension (wasix_32v1 fd_pipe), 64 KiB written then read
 * back at a time, argv[1] timed passes after one warm-up. WASI has no pipe of its own.
 */
#include "bench.h"

#define CHUNK (1 << 16)
#define CHUNKS 1024

__attribute__((import_module("wasix_32v1"), import_name("fd_pipe")))
int32_t wasix_fd_pipe(int32_t *read_fd, int32_t *write_fd);

static char out[CHUNK], in[CHUNK];

int main(int argc, char **argv) {
  long passes = arg_long(argc, argv, 1, 3);
  int32_t r, w;
  if (wasix_fd_pipe(&r, &w) != 0) die("fd_pipe");
  memset(out, 'p', CHUNK);
  uint64_t ns = 0;
  for (long p = 0; p <= passes; p++) { /* pass 0 is the warm-up */
    uint64_t t0 = now_ns();
    for (int i = 0; i < CHUNKS; i++) {
      if (write(w, out, CHUNK) != CHUNK) die("write");
      if (read(r, in, CHUNK) != CHUNK) die("read");
    }
    uint64_t t1 = now_ns();
    if (in[CHUNK - 1] != 'p') die("read back");
    if (p > 0) ns += t1 - t0;
  }
  report("pipe_64KiB", (uint64_t)(passes * CHUNKS), ns);
  close(w);
  close(r);
  return 0;
}
