/* cli_probe: one small program for the `refwasi run` tests.
 *   cli_probe exit N            exits with status N
 *   cli_probe args ...          prints argv, one per line
 *   cli_probe env               prints the environment, one per line
 *   cli_probe cat               copies stdin to stdout
 *   cli_probe say OUT ERR       prints OUT on stdout and ERR on stderr
 *   cli_probe ls DIR            prints DIR's entries (sorted, without . and ..)
 *   cli_probe read FILE         prints FILE's contents
 *   cli_probe write FILE TEXT   writes TEXT to FILE
 *   cli_probe renumber          fd_renumber(0, 50) onto a free number; prints the errno
 *   cli_probe close-stdout      prints a line, closes fd 1, reports what a write to it gives
 *   cli_probe trap              traps
 *
 * Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o cli_probe.wasm cli_probe.c
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "cli_probe: no command\n");
    return 64;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "exit") == 0 && argc > 2) return atoi(argv[2]);
  if (strcmp(cmd, "args") == 0) {
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
  }
  if (strcmp(cmd, "env") == 0) {
    for (char **e = environ; *e != NULL; e++) printf("%s\n", *e);
    return 0;
  }
  if (strcmp(cmd, "cat") == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0)
      if (write(1, buf, (size_t)n) != n) return 1;
    return n < 0 ? 1 : 0;
  }
  if (strcmp(cmd, "say") == 0 && argc > 3) {
    printf("%s\n", argv[2]);
    fprintf(stderr, "%s\n", argv[3]);
    return 0;
  }
  if (strcmp(cmd, "ls") == 0 && argc > 2) {
    DIR *d = opendir(argv[2]);
    if (d == NULL) {
      fprintf(stderr, "opendir %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    char *names[256];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < 256)
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names[count++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], by_name);
    for (int i = 0; i < count; i++) printf("%s\n", names[i]);
    return 0;
  }
  if (strcmp(cmd, "read") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "r");
    if (f == NULL) {
      fprintf(stderr, "fopen %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    int c;
    while ((c = fgetc(f)) != EOF) putchar(c);
    fclose(f);
    return 0;
  }
  if (strcmp(cmd, "write") == 0 && argc > 3) {
    FILE *f = fopen(argv[2], "w");
    if (f == NULL) {
      fprintf(stderr, "fopen %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    fputs(argv[3], f);
    return fclose(f) == 0 ? 0 : 1;
  }
  if (strcmp(cmd, "renumber") == 0) {
    printf("renumber 0 -> 50: errno %d\n", (int)__wasi_fd_renumber(0, 50));
    return 0;
  }
  if (strcmp(cmd, "close-stdout") == 0) {
    printf("guest: before close(1)\n");
    fflush(stdout);
    int r = close(1);
    errno = 0;
    ssize_t n = write(1, "x", 1);
    fprintf(stderr, "guest: close(1) = %d, then write(1) = %d errno %d\n", r, (int)n, errno);
    return 0;
  }
  if (strcmp(cmd, "trap") == 0) __builtin_trap();
  fprintf(stderr, "cli_probe: unknown command %s\n", cmd);
  return 64;
}
