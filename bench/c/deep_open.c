/* open() + close() of an existing file four directories below the preopen. */
#include "bench.h"
#include <sys/stat.h>

#define DEEP ROOT "/d1/d2/d3/d4"

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 100000);
  const char *dirs[] = {ROOT "/d1", ROOT "/d1/d2", ROOT "/d1/d2/d3", DEEP};
  for (int i = 0; i < 4; i++)
    if (mkdir(dirs[i], 0755) != 0) die(dirs[i]);
  close(make_file(DEEP "/deep.dat", 16));
  long w = warmup_of(n);
  uint64_t t0 = 0;
  for (long i = -w; i < n; i++) {
    if (i == 0) t0 = now_ns();
    int fd = open(DEEP "/deep.dat", O_RDONLY);
    if (fd < 0) die("open");
    close(fd);
  }
  uint64_t t1 = now_ns();
  report("deep_open_close", (uint64_t)n, t1 - t0);
  return 0;
}
