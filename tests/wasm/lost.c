/*
 * lost: writes to files, reports on stderr every byte count write() returned, then ends in
 * the way argv[1] names, so the host can check that nothing reported as written is lost:
 *
 *   lost exit        exit(7)                         (proc_exit)
 *   lost trap        __builtin_trap()                (unreachable: the instance traps)
 *   lost callback    calls env.host_callback, which the embedder makes throw a JS exception
 *   lost stdout      a write to stdout fails (the embedder's stdout callback throws: EIO),
 *                    then more file writes, then exit(0)
 *   lost hundred     100 files open (and a dup of every tenth), a pipe holding 32 KiB with
 *                    both ends open, then a trap: every host handle must still close once
 *
 * Before it ends, a.bin is fsync'ed (on NodeDirectory that must reach the host's fsync).
 * stderr lines: "w NAME TOTAL" after each write, TOTAL the bytes write() has reported for
 * NAME so far; "stdout ERRNO" for the failed stdout write; "fsync a.bin" once it returned. Files are in the preopen "work".
 * Built by tests/wasm/build.ts; used by tests/robustness.test.ts.
 */
#include "refwasi_dup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("env"), import_name("host_callback"))) void host_callback(int);

/* The byte at offset i of file n: what the host expects to find there. */
static unsigned char byte_at(int n, long i) { return (unsigned char)('a' + (n * 7 + i) % 26); }

static long write_some(int fd, int n, long at, long count, const char *name) {
  unsigned char buf[4096];
  long total = at;
  while (count > 0) {
    long k = count < (long)sizeof buf ? count : (long)sizeof buf;
    for (long i = 0; i < k; i++) buf[i] = byte_at(n, total + i);
    ssize_t r = write(fd, buf, (size_t)k);
    if (r <= 0) break;
    total += r;
    count -= r;
    fprintf(stderr, "w %s %ld\n", name, total);
  }
  return total;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "exit";
  setvbuf(stderr, NULL, _IONBF, 0);
  if (strcmp(mode, "hundred") == 0) {
    int fds[100];
    char name[64];
    for (int n = 0; n < 100; n++) {
      snprintf(name, sizeof name, "work/f%02d", n);
      fds[n] = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
      if (fds[n] < 0) return 10;
      write_some(fds[n], n, 0, 100 + n, name + 5);
      if (n % 10 == 0 && dup(fds[n]) < 0) return 11;
    }
    int p[2];
    if (pipe(p) != 0) return 12;
    static unsigned char half[32768];
    memset(half, 'p', sizeof half);
    if (write(p[1], half, sizeof half) != (ssize_t)sizeof half) return 13;
    fprintf(stderr, "pipe %d %d\n", p[0], p[1]);
    __builtin_trap();
  }

  int a = open("work/a.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int b = open("work/b.bin", O_RDWR | O_CREAT | O_APPEND, 0644);
  if (a < 0 || b < 0) return 20;
  long ta = write_some(a, 1, 0, 10000, "a.bin");
  long tb = write_some(b, 2, 0, 3000, "b.bin");
  int c = dup(a); /* a dup still open when the program ends */
  if (c < 0) return 21;
  ta = write_some(c, 1, ta, 5000, "a.bin");
  if (fsync(a) != 0) return 24;
  fprintf(stderr, "fsync a.bin\n");

  if (strcmp(mode, "exit") == 0) exit(7);
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  if (strcmp(mode, "callback") == 0) {
    host_callback(1);
    return 22; /* not reached: the callback throws */
  }
  if (strcmp(mode, "stdout") == 0) {
    ssize_t r = write(1, "to stdout\n", 10);
    fprintf(stderr, "stdout %d\n", r < 0 ? errno : 0);
    write_some(b, 2, tb, 2000, "b.bin");
    return 0;
  }
  return 23;
}
