/*
 * 64 MiB written sequentially in 64 KiB chunks to a new file, then read back: argv[1] timed
 * passes after argv[2] warm-up passes (default 1); argv[3] MiB a pass instead of 64.
 */
#include "bench.h"

#define CHUNK (1 << 16)

static char buf[CHUNK];

int main(int argc, char **argv) {
  long passes = arg_long(argc, argv, 1, 3);
  long warm = arg_long(argc, argv, 2, 1);
  /* argv[3]: MiB per pass, 64 unless a slow implementation is given less. */
  long chunks = arg_long(argc, argv, 3, 64) * ((1 << 20) / CHUNK);
  const char *path = ROOT "/bulk.dat";
  uint64_t wns = 0, rns = 0, sum = 0;
  for (long p = 1 - warm; p <= passes; p++) { /* passes up to 0 are the warm-up */
    unlink(path);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) die("open");
    char fill = (char)('a' + (p & 15));
    memset(buf, fill, CHUNK);
    uint64_t t0 = now_ns();
    for (int i = 0; i < chunks; i++)
      if (write(fd, buf, CHUNK) != CHUNK) die("write");
    uint64_t t1 = now_ns();
    if (lseek(fd, 0, SEEK_SET) != 0) die("lseek");
    memset(buf, 0, CHUNK);
    uint64_t t2 = now_ns();
    for (int i = 0; i < chunks; i++)
      if (read(fd, buf, CHUNK) != CHUNK) die("read");
    uint64_t t3 = now_ns();
    if (buf[CHUNK - 1] != fill) die("read back");
    sum += (unsigned char)buf[0];
    close(fd);
    if (p > 0) {
      wns += t1 - t0;
      rns += t3 - t2;
    }
  }
  unlink(path);
  report("write_64KiB", (uint64_t)(passes * chunks), wns);
  report("read_64KiB", (uint64_t)(passes * chunks), rns);
  return sum == 0;
}
