// Sends its own stdout into a file for a while with dup/dup2, then restores it: the shell's
// `> file` done from inside the program, which needs the dup extension (refwasi_dup.h).
#include "refwasi_dup.h"
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("1. on the terminal\n");
  fflush(stdout);
  int log = open("data/log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int saved = dup(1);            // keep the real stdout
  if (log < 0 || saved < 0 || dup2(log, 1) != 1) {
    perror("redirect");
    return 1;
  }
  close(log);                    // fd 1 still refers to the file
  printf("2. in data/log.txt, through fd 1\n");
  fflush(stdout);
  dup2(saved, 1);                // stdout is the terminal again; the file closes here
  close(saved);
  printf("3. back on the terminal\n");
  return 0;
}
