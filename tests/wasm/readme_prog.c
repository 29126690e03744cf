/* readme_prog: the program the README's usage example runs (tests/readme.test.ts).
 * Prints its argument and environment, reads /a.txt, lists /, writes /sub/out.txt.
 * Build: clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o readme_prog.wasm readme_prog.c
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  printf("arg: %s, K=%s\n", argc > 1 ? argv[1] : "(none)", getenv("K") ? getenv("K") : "(unset)");
  char text[32] = {0};
  FILE *f = fopen("/a.txt", "r");
  if (!f || fread(text, 1, sizeof text - 1, f) == 0) return 1;
  fclose(f);
  printf("a.txt says: %s\n", text);
  DIR *d = opendir("/");
  if (!d) return 2;
  struct dirent *e;
  while ((e = readdir(d))) printf("entry: %s\n", e->d_name);
  closedir(d);
  FILE *out = fopen("/sub/out.txt", "w");
  if (!out) return 3;
  fputs("written by the guest", out);
  return fclose(out) == 0 ? 0 : 4;
}
