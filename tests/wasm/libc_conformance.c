// The C programs of the official wasi-testsuite (tests/c), restated: each case below checks
// what the official program of the same name checks, through wasi-libc. Run as
//   libc_conformance.wasm CASE
// over a preopened "." holding: file (empty), lseek.txt ("01234567"), pread.txt
// ("pread-test"), fopendir.dir/{file-0,file-1} and an empty writeable/ directory.
// Exit status 0 means every check held; otherwise the failed check's line is printed.
// Built with: clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Wl,--strip-all
//   tests/wasm/libc_conformance.c -o tests/wasm/libc_conformance.wasm
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "check failed at line %d: %s (errno %d)\n", __LINE__,    \
              #cond, errno);                                                   \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static int clock_cases(const char *name) {
  struct timespec ts;
  if (strcmp(name, "clock_getres-monotonic") == 0) {
    CHECK(clock_getres(CLOCK_MONOTONIC, &ts) == 0);
  } else if (strcmp(name, "clock_getres-realtime") == 0) {
    CHECK(clock_getres(CLOCK_REALTIME, &ts) == 0);
  } else if (strcmp(name, "clock_gettime-monotonic") == 0) {
    CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
  } else if (strcmp(name, "clock_gettime-realtime") == 0) {
    CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0);
  } else {
    return 0;
  }
  return 1;
}

// Every entry but . and .. is file-0 or file-1, and its d_ino is what fstatat says.
static void fdopendir_with_access(void) {
  int seen[2] = {0, 0};
  ino_t inodes[2] = {0, 0};
  int dfd = open("fopendir.dir", O_RDONLY | O_DIRECTORY);
  CHECK(dfd != -1);
  DIR *d = fdopendir(dfd);
  CHECK(d != NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    int which = strcmp(e->d_name, "file-0") == 0 ? 0 : strcmp(e->d_name, "file-1") == 0 ? 1 : -1;
    CHECK(which >= 0);
    seen[which] = 1;
    inodes[which] = e->d_ino;
    struct stat st;
    CHECK(fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(st.st_ino == e->d_ino);
  }
  CHECK(closedir(d) == 0);
  CHECK(seen[0] && seen[1]);
  CHECK(inodes[0] != inodes[1]);
}

static void fopen_with_access(void) {
  FILE *f = fopen("file", "r");
  CHECK(f != NULL);
  CHECK(fclose(f) == 0);
}

// The fd's offset follows what stdio consumed, once flushed; SET and END land where expected.
static void lseek_case(void) {
  char buf[4];
  FILE *f = fopen("lseek.txt", "r");
  CHECK(f != NULL);
  int fd = fileno(f);
  CHECK(fread(buf, 1, 4, f) == 4);
  fflush(f);
  CHECK(lseek(fd, 0, SEEK_CUR) == 4);
  CHECK(fread(buf, 1, 1, f) == 1);
  fflush(f);
  CHECK(lseek(fd, 0, SEEK_CUR) == 5);
  CHECK(buf[0] == '4');
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(lseek(fd, 0, SEEK_END) == 8);
  fclose(f);
}

static void pread_with_access(void) {
  const char *want = "d-t";
  size_t len = strlen(want), got = 0;
  char buf[16];
  int fd = open("pread.txt", O_RDONLY);
  CHECK(fd > 0);
  while (got < len) {
    ssize_t n = pread(fd, buf + got, len - got, 4 + got);
    CHECK(n > 0);
    got += (size_t)n;
  }
  CHECK(memcmp(buf, want, len) == 0);
  CHECK(close(fd) == 0);
}

static void pwrite_all(int fd, const char *data, size_t len, off_t at) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(fd, data + done, len - done, at + (off_t)done);
    CHECK(n > 0);
    done += (size_t)n;
  }
}

// pwrite on a write-only fd, read back through a second open, then remove().
static void pwrite_with_access(void) {
  const char *path = "writeable/test_pwrite_pread.txt.cleanup";
  const char *full = "very long text";
  size_t len = strlen(full), got = 0;
  char buf[16];
  CHECK(access(path, F_OK) != 0);
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  CHECK(fd > 0);
  pwrite_all(fd, full, len, 0);
  pwrite_all(fd, "test", 4, 3);
  CHECK(close(fd) == 0);
  fd = open(path, O_RDONLY);
  CHECK(fd > 0);
  ssize_t n = 0;
  while (got < len) {
    n = read(fd, buf + got, sizeof buf - got);
    CHECK(n > 0);
    got += (size_t)n;
  }
  CHECK((size_t)n == len);
  CHECK(memcmp(buf, "vertestng text", len) == 0);
  CHECK(close(fd) == 0);
  CHECK(remove(path) == 0);
}

// Writes on an O_APPEND fd go to the end whatever the offset; pwrite leaves the offset alone
// and may write at its offset (POSIX) or at the end (Linux).
static void pwrite_with_append(void) {
  char buf[4] = {0};
  int fd = open("pwrite.cleanup", O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
  CHECK(fd != -1);
  CHECK(write(fd, buf, 2) == 2);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, buf, 2) == 2);
  CHECK(lseek(fd, 0, SEEK_CUR) == 4);
  CHECK(pwrite(fd, buf, 3, 0) == 3);
  CHECK(lseek(fd, 0, SEEK_CUR) == 4);
  off_t end = lseek(fd, 0, SEEK_END);
  CHECK(end == 4 || end == 7);
  close(fd);
}

static void stat_dev_ino(void) {
  struct stat a, b;
  int fa = open("file", O_RDONLY);
  CHECK(fa != -1);
  int fb = open("lseek.txt", O_RDONLY);
  CHECK(fb != -1);
  CHECK(fstat(fa, &a) == 0);
  CHECK(fstat(fb, &b) == 0);
  CHECK(a.st_dev == b.st_dev);
  CHECK(a.st_ino != b.st_ino);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  const char *name = argv[1];
  if (clock_cases(name)) {
  } else if (strcmp(name, "fdopendir-with-access") == 0) {
    fdopendir_with_access();
  } else if (strcmp(name, "fopen-with-access") == 0) {
    fopen_with_access();
  } else if (strcmp(name, "lseek") == 0) {
    lseek_case();
  } else if (strcmp(name, "pread-with-access") == 0) {
    pread_with_access();
  } else if (strcmp(name, "pwrite-with-access") == 0) {
    pwrite_with_access();
  } else if (strcmp(name, "pwrite-with-append") == 0) {
    pwrite_with_append();
  } else if (strcmp(name, "stat-dev-ino") == 0) {
    stat_dev_ino();
  } else if (strcmp(name, "sock_shutdown-invalid_fd") == 0) {
    // Run with no preopens, so fd 3 is not open.
    CHECK(shutdown(3, SHUT_RD) != 0);
    CHECK(errno == EBADF);
  } else if (strcmp(name, "sock_shutdown-not_sock") == 0) {
    CHECK(shutdown(STDOUT_FILENO, SHUT_RD) != 0);
    CHECK(errno == ENOTSOCK);
  } else {
    fprintf(stderr, "unknown case %s\n", name);
    return 2;
  }
  printf("ok %s\n", name);
  return 0;
}
