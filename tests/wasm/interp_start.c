/* interp_start: what an interpreter (ruby, lua, python, sqlite3's shell) decides at start-up
 * from its stdin: a terminal gets a banner and a prompt before each line, anything else (a
 * file, a pipe, bytes given by the embedder) is read as a script, without prompts.
 *
 *   interp_start      prints "stdin: terminal" or "stdin: script", then every line of stdin
 *                     as "line N: TEXT" (after a "> " prompt on a terminal)
 *
 * Ruby 3.4 (ruby.wasm) answered $stdin.tty? with true for stdin given as bytes, where
 * node:wasi and wasmtime say false.
 *
 * Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o interp_start.wasm interp_start.c
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  int tty = isatty(0);
  printf("stdin: %s\n", tty ? "terminal" : "script");
  char line[256];
  int n = 0;
  for (;;) {
    if (tty) fputs("> ", stdout);
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) break;
    line[strcspn(line, "\n")] = 0;
    printf("line %d: %s\n", ++n, line);
  }
  return 0;
}
