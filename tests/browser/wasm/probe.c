/* probe: what a directory backend can do, through wasi-libc, as a transcript.
 *
 *   probe fsops DIR         every operation below, one line each: "name: ok" or "name: ENAME"
 *   probe write DIR/FILE T  creates or truncates FILE and writes T (persistence test, first page)
 *   probe read DIR/FILE     prints FILE (persistence test, after a reload)
 *
 * The browser tests run fsops over MemoryDirectory and over OPFSDirectory and compare the
 * transcripts with what each backend promises.
 */
#include "refwasi_dup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSUP: return "ENOTSUP";
    case ELOOP: return "ELOOP";
    case EIO: return "EIO";
    case EACCES: return "EACCES";
    default: return "E?";
  }
}

static char path_buf[4][512];
static const char *root;
static const char *P(int slot, const char *name) {
  snprintf(path_buf[slot], sizeof path_buf[slot], "%s/%s", root, name);
  return path_buf[slot];
}

static void report(const char *what, int rc) {
  if (rc < 0) printf("%s: %s\n", what, ename(errno));
  else printf("%s: ok\n", what);
}

static void put(const char *name, const char *text) {
  int fd = open(P(3, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) {
    printf("put %s: %s\n", name, ename(errno));
    exit(3);
  }
}

static void show(const char *name) {
  char buf[256];
  int fd = open(P(3, name), O_RDONLY);
  if (fd < 0) {
    printf("cat %s: %s\n", name, ename(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[n < 0 ? 0 : n] = '\0';
  printf("cat %s: \"%s\"\n", name, buf);
}

static long size_of(const char *name) {
  struct stat st;
  if (stat(P(3, name), &st) != 0) return -1;
  return (long)st.st_size;
}

static void list(const char *name) {
  DIR *d = opendir(P(3, name));
  if (!d) {
    printf("ls %s: %s\n", name, ename(errno));
    return;
  }
  char names[64][64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(names[n], sizeof names[n], "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    n++;
  }
  closedir(d);
  /* sort: listing order is the backend's business */
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(names[j], names[i]) < 0) {
        char t[64];
        strcpy(t, names[i]);
        strcpy(names[i], names[j]);
        strcpy(names[j], t);
      }
  printf("ls %s:", name);
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
}

static int fsops(void) {
  report("mkdir d", mkdir(P(0, "d"), 0755));
  report("mkdir d again", mkdir(P(0, "d"), 0755));
  report("mkdir d/e", mkdir(P(0, "d/e"), 0755));
  put("d/e/f.txt", "inner");
  put("a.txt", "hello world");
  printf("size a.txt: %ld\n", size_of("a.txt"));
  report("open a.txt O_CREAT|O_EXCL", open(P(0, "a.txt"), O_RDWR | O_CREAT | O_EXCL, 0644));
  report("open d for writing", open(P(0, "d"), O_WRONLY));
  report("open missing.txt", open(P(0, "missing.txt"), O_RDONLY));
  report("open a.txt/x", open(P(0, "a.txt/x"), O_RDONLY));
  list(".");

  report("truncate a.txt 5", truncate(P(0, "a.txt"), 5));
  printf("size a.txt: %ld\n", size_of("a.txt"));
  show("a.txt");
  int fd = open(P(0, "a.txt"), O_RDWR);
  report("ftruncate a.txt 8", ftruncate(fd, 8));
  struct stat st;
  fstat(fd, &st);
  printf("fstat size: %ld\n", (long)st.st_size);
  report("lseek end", (int)lseek(fd, 0, SEEK_END));
  report("write past end", (int)pwrite(fd, "!", 1, 10));
  fstat(fd, &st);
  printf("fstat size: %ld\n", (long)st.st_size);
  close(fd);

  report("rename a.txt b.txt", rename(P(0, "a.txt"), P(1, "b.txt")));
  report("rename missing", rename(P(0, "a.txt"), P(1, "c.txt")));
  report("rename d/e d2", rename(P(0, "d/e"), P(1, "d2")));
  list(".");
  list("d");
  list("d2");
  show("d2/f.txt");
  report("rename d into itself", rename(P(0, "d"), P(1, "d/inside")));
  report("rename file over dir", rename(P(0, "b.txt"), P(1, "d")));
  report("rename dir over file", rename(P(0, "d"), P(1, "b.txt")));
  report("rmdir d2 (not empty)", rmdir(P(0, "d2")));
  report("unlink d2 (a directory)", unlink(P(0, "d2")));
  report("rmdir b.txt (a file)", rmdir(P(0, "b.txt")));

  /* POSIX: an unlinked file lives on while open; a replaced one too */
  put("open.txt", "still here");
  int o = open(P(0, "open.txt"), O_RDWR);
  int o2 = dup(o);
  report("unlink open.txt while open", unlink(P(0, "open.txt")));
  report("stat open.txt after unlink", stat(P(0, "open.txt"), &st));
  char buf[64] = "";
  ssize_t n = pread(o2, buf, sizeof buf - 1, 0);
  buf[n < 0 ? 0 : n] = '\0';
  printf("read unlinked through dup: \"%s\"\n", buf);
  fstat(o2, &st);
  printf("unlinked nlink: %ld\n", (long)st.st_nlink);
  report("recreate open.txt", (put("open.txt", "new one"), 0));
  close(o);
  report("write unlinked after closing one dup", (int)pwrite(o2, "S", 1, 0));
  close(o2);
  show("open.txt");

  put("target.txt", "old target");
  int t = open(P(0, "target.txt"), O_RDONLY);
  report("rename b.txt over open target.txt", rename(P(0, "b.txt"), P(1, "target.txt")));
  n = pread(t, buf, sizeof buf - 1, 0);
  buf[n < 0 ? 0 : n] = '\0';
  printf("read replaced target: \"%s\"\n", buf);
  close(t);
  show("target.txt");

  /* two opens of one file share its bytes */
  int x = open(P(0, "target.txt"), O_RDWR);
  int y = open(P(0, "target.txt"), O_RDONLY);
  pwrite(x, "HE", 2, 0);
  n = pread(y, buf, 2, 0);
  buf[n < 0 ? 0 : n] = '\0';
  printf("second open sees: \"%s\"\n", buf);
  close(x);
  close(y);

  /* what some backends cannot express */
  report("symlink", symlink("target.txt", P(0, "link")));
  report("link", link(P(0, "target.txt"), P(1, "hard")));
  struct timespec times[2] = {{1, 0}, {2, 0}};
  report("utimensat explicit", utimensat(AT_FDCWD, P(0, "target.txt"), times, 0));

  report("unlink target.txt", unlink(P(0, "target.txt")));
  report("unlink d2/f.txt", unlink(P(0, "d2/f.txt")));
  report("rmdir d2", rmdir(P(0, "d2")));
  report("rmdir d", rmdir(P(0, "d")));
  unlink(P(0, "open.txt"));
  unlink(P(0, "link"));
  unlink(P(0, "hard"));
  list(".");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "fsops") == 0) {
    root = argv[2];
    return fsops();
  }
  if (argc >= 4 && strcmp(argv[1], "write") == 0) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    if (write(fd, argv[3], strlen(argv[3])) != (ssize_t)strlen(argv[3])) return 2;
    if (close(fd) != 0) return 3;
    printf("wrote %s\n", argv[2]);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "read") == 0) {
    char buf[4096];
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) {
      printf("open %s: %s\n", argv[2], ename(errno));
      return 1;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) return 2;
    fwrite(buf, 1, (size_t)n, stdout);
    return 0;
  }
  fprintf(stderr, "usage: probe fsops DIR | write FILE TEXT | read FILE\n");
  return 2;
}
