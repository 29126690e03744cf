/* 16-byte write() over a 64 KiB file, in place (back to 0 every 4096 writes). */
#include "bench.h"

#define SPAN 65536

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 1000000);
  int fd = make_file(ROOT "/write16.dat", SPAN);
  char buf[16];
  memset(buf, 'w', sizeof buf);
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    if ((i & (SPAN / 16 - 1)) == 0) lseek(fd, 0, SEEK_SET);
    if (write(fd, buf, 16) != 16) die("write");
  }
  uint64_t t1 = now_ns();
  report("write_16B", (uint64_t)n, t1 - t0);
  close(fd);
  return 0;
}
