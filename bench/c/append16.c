/*
 * 16-byte write() to an O_APPEND file that already holds argv[2] MiB (written first, not
 * timed), so every timed append lands at that size or a little past it.
 */
#include "bench.h"

static char chunk[1 << 20];

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 100000);
  long mib = arg_long(argc, argv, 2, 4);
  int fd = open(ROOT "/append.dat", O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) die("open");
  memset(chunk, 'p', sizeof chunk);
  for (long i = 0; i < mib; i++)
    if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) die("prefill");
  char buf[16];
  memset(buf, 'a', sizeof buf);
  for (long i = 0; i < warmup_of(n); i++)
    if (write(fd, buf, 16) != 16) die("write");
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++)
    if (write(fd, buf, 16) != 16) die("write");
  uint64_t t1 = now_ns();
  off_t end = lseek(fd, 0, SEEK_END);
  if (end != (off_t)(mib * (long)sizeof chunk + 16 * (n + warmup_of(n)))) die("append size");
  report("append_16B", (uint64_t)n, t1 - t0);
  printf("SIZE %lld\n", (long long)end);
  close(fd);
  return 0;
}
