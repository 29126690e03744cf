/*
 * Opens descriptors of every kind (files, a dup, a directory, a pipe, a dup of stdout) and
 * then ends the way argv[1] says: "return" (main returns 0), "fail" (main returns 3, so
 * _start calls proc_exit), "exit" (proc_exit(7) straight away) or "trap" (unreachable).
 * The test checks that WASI.start closes every one of them in each case.
 *
 * Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -I fixtures/include \
 *          -Wl,--strip-all tests/wasm/start_close.c -o tests/wasm/start_close.wasm
 */
#include "refwasi_dup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "return";
  int a = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  int b = open("b.txt", O_CREAT | O_WRONLY | O_APPEND, 0644);
  int d = open(".", O_RDONLY | O_DIRECTORY);
  int a2 = dup(a);
  int out2 = dup(1);
  int fds[2];
  if (a < 0 || b < 0 || d < 0 || a2 < 0 || out2 < 0 || pipe(fds) != 0) {
    perror("setup");
    return 2;
  }
  if (write(a2, "data", 4) != 4 || write(b, "more", 4) != 4 || write(fds[1], "p", 1) != 1) {
    perror("write");
    return 2;
  }
  if (write(out2, "ready\n", 6) != 6) return 2;
  if (strcmp(mode, "exit") == 0) _Exit(7);
  if (strcmp(mode, "trap") == 0) __builtin_trap();
  if (strcmp(mode, "fail") == 0) return 3;
  return 0;
}
