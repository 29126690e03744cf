/* readdir() over a directory of 1,000 files (made first, not timed); cost per entry. */
#include <dirent.h>
#include <sys/stat.h>
#include "bench.h"

#define FILES 1000

static long list(void) {
  DIR *d = opendir(ROOT "/dir");
  if (d == NULL) die("opendir");
  long count = 0;
  while (readdir(d) != NULL) count++;
  closedir(d);
  return count;
}

int main(int argc, char **argv) {
  long n = arg_long(argc, argv, 1, 100);
  if (mkdir(ROOT "/dir", 0755) != 0) die("mkdir");
  char path[64];
  for (int i = 0; i < FILES; i++) {
    snprintf(path, sizeof path, ROOT "/dir/file%04d", i);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd < 0) die(path);
    close(fd);
  }
  long per = list();
  if (per < FILES) die("short listing");
  for (long i = 1; i < warmup_of(n); i++) list();
  uint64_t entries = 0;
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++) entries += (uint64_t)list();
  uint64_t t1 = now_ns();
  report("readdir_entry", entries, t1 - t0);
  printf("ENTRIES %ld\n", per);
  return 0;
}
