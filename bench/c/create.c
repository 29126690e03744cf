/*
 * Creates 2,000 empty files in a new directory (open O_CREAT|O_EXCL + close each), argv[1]
 * times, each time in a directory of its own; the cost per file.
 */
#include <sys/stat.h>
#include "bench.h"

#define FILES 2000

static void fill(long pass) {
  char path[64];
  snprintf(path, sizeof path, ROOT "/c%ld", pass);
  if (mkdir(path, 0755) != 0) die("mkdir");
  for (int i = 0; i < FILES; i++) {
    snprintf(path, sizeof path, ROOT "/c%ld/file%04d", pass, i);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) die(path);
    close(fd);
  }
}

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 5);
  fill(-1); /* warm-up */
  uint64_t t0 = now_ns();
  for (long p = 0; p < n; p++) fill(p);
  uint64_t t1 = now_ns();
  report("create_file", (uint64_t)(n * FILES), t1 - t0);
  return 0;
}
