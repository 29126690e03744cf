/* hostfd: opens N files (default 100) in the preopen "data", writes its name
 * into each and dups every third one, then:
 *   hostfd trap  [N]   traps (__builtin_trap) with all of them open
 *   hostfd exit  [N]   returns with all of them open (the runtime closes them)
 *   hostfd close [N]   closes every descriptor itself, dups first
 * The host-fd tests count the embedder's open fds before and after.
 *
 * Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o hostfd.wasm hostfd.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("wasix_32v1"), import_name("fd_dup")))
int32_t wasix_fd_dup(int32_t fd, uint32_t *ret_fd);

#define MAX_FILES 200

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "close";
  int n = argc > 2 ? atoi(argv[2]) : 100;
  if (n < 1 || n > MAX_FILES) return 64;
  int fds[MAX_FILES], dups[MAX_FILES];
  char name[64];
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "data/f%03d.txt", i);
    fds[i] = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fds[i] < 0) {
      fprintf(stderr, "open %s: %s\n", name, strerror(errno));
      return 1;
    }
    if (write(fds[i], name, strlen(name)) != (ssize_t)strlen(name)) return 2;
    dups[i] = -1;
    if (i % 3 == 0) {
      uint32_t d;
      if (wasix_fd_dup(fds[i], &d) != 0) return 3;
      dups[i] = (int)d;
    }
  }
  printf("opened %d files\n", n);
  fflush(stdout);
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  if (strcmp(mode, "exit") == 0) return 0;
  for (int i = 0; i < n; i++)
    if (dups[i] >= 0 && close(dups[i]) != 0) return 4;
  for (int i = n - 1; i >= 0; i--)
    if (close(fds[i]) != 0) return 5;
  printf("closed %d files\n", n);
  return 0;
}
