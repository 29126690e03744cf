// Counts the lines, words and bytes of data/in.txt and writes them to data/report.txt:
// a program that reads and writes files in a preopened directory.
#include <ctype.h>
#include <stdio.h>

int main(void) {
  FILE *in = fopen("data/in.txt", "r");
  if (!in) {
    perror("data/in.txt");
    return 1;
  }
  long lines = 0, words = 0, bytes = 0;
  int c, inWord = 0;
  while ((c = fgetc(in)) != EOF) {
    bytes++;
    if (c == '\n') lines++;
    if (isspace(c)) inWord = 0;
    else if (!inWord) inWord = 1, words++;
  }
  fclose(in);
  FILE *out = fopen("data/report.txt", "w");
  if (!out) {
    perror("data/report.txt");
    return 1;
  }
  fprintf(out, "%ld lines, %ld words, %ld bytes\n", lines, words, bytes);
  fclose(out);
  printf("wrote data/report.txt\n");
  return 0;
}
