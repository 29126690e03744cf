// Greets its first argument with $GREETING: arguments, environment and stdout.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *greeting = getenv("GREETING");
  printf("%s, %s!\n", greeting ? greeting : "Hello", argc > 1 ? argv[1] : "world");
  return 0;
}
