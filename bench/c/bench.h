/*
 * Shared by the benchmark programs. Each program does a warm-up of a tenth of its
 * iterations, then times N iterations with CLOCK_MONOTONIC (so instantiation and set-up
 * are excluded) and prints one line per measurement:
 *
 *   RESULT <name> <ops> <total_ns> <ns_per_op>
 *
 * Files live under the preopen /b. argv[1] is N; later arguments are per program.
 */
#ifndef REFWASI_BENCH_H
#define REFWASI_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROOT "/b"

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline long arg_long(int argc, char **argv, int i, long dflt) {
  return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

static inline long warmup_of(long n) { return n / 10 > 0 ? n / 10 : 1; }

static inline void report(const char *name, uint64_t ops, uint64_t ns) {
  uint64_t tenths = ops ? (ns * 10 + ops / 2) / ops : 0;
  printf("RESULT %s %llu %llu %llu.%llu\n", name, (unsigned long long)ops, (unsigned long long)ns,
         (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10));
}

static inline void die(const char *what) {
  fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Creates (or truncates) path and writes len bytes of a pattern; returns the fd, open O_RDWR. */
static inline int make_file(const char *path, size_t len) {
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) die(path);
  static char chunk[4096];
  memset(chunk, 'x', sizeof chunk);
  while (len > 0) {
    size_t n = len < sizeof chunk ? len : sizeof chunk;
    if (write(fd, chunk, n) != (ssize_t)n) die("write");
    len -= n;
  }
  return fd;
}

#endif
