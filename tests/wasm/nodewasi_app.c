/* nodewasi_app: a program written for node:wasi, run unchanged by refwasi/node.
 *   nodewasi_app DIR    reads DIR/in.txt, writes it upper-cased to DIR/out.txt, prints
 *                       "lines=N greeting=$GREETING" and exits with N (the number of lines)
 *                       through proc_exit (exit()).
 *
 * Build (the flags of the C fixtures, so the output is reproducible):
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Wl,--strip-all -o nodewasi_app.wasm nodewasi_app.c
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nodewasi_app DIR\n");
    return 64;
  }
  char in_path[512], out_path[512];
  snprintf(in_path, sizeof in_path, "%s/in.txt", argv[1]);
  snprintf(out_path, sizeof out_path, "%s/out.txt", argv[1]);
  FILE *in = fopen(in_path, "r");
  if (in == NULL) {
    perror(in_path);
    return 65;
  }
  FILE *out = fopen(out_path, "w");
  if (out == NULL) {
    perror(out_path);
    return 66;
  }
  int c, lines = 0;
  while ((c = fgetc(in)) != EOF) {
    if (c == '\n') lines++;
    fputc(toupper(c), out);
  }
  fclose(in);
  if (fclose(out) != 0) {
    perror(out_path);
    return 67;
  }
  const char *greeting = getenv("GREETING");
  printf("lines=%d greeting=%s\n", lines, greeting ? greeting : "(none)");
  fflush(stdout);
  exit(lines);
}
