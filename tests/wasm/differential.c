/*
 * differential: a seeded random sequence of file operations that prints a transcript,
 * for comparing refwasi (MemoryDirectory, NodeDirectory), node:wasi and Linux itself.
 *
 *   differential SEED OPS      (the directory "work" must exist in the current directory,
 *                               under WASI as a preopen named "work")
 *
 * Operations: open (every access mode, CREAT, EXCL, TRUNC, APPEND, DIRECTORY), close,
 * dup, dup2, fd_renumber, pipe, read, write, lseek, append (F_SETFL O_APPEND, F_GETFL),
 * ftruncate, fstat, rename, unlink, mkdir, rmdir and readdir; at the end every descriptor
 * still open is closed and the whole tree is listed with sizes and content hashes.
 *
 * The transcript holds nothing that may legitimately differ between hosts: no inode numbers,
 * no timestamps, no directory sizes, readdir sorted. Descriptor numbers are printed: they
 * must be the lowest free ones everywhere (natively, "work" is opened first, so it takes
 * fd 3 as the preopen does under WASI).
 *
 * The program keeps a model of its own descriptors (what each is, which pipe, how many bytes
 * a pipe holds) so that it never does what would block natively: it reads a pipe only when it
 * holds data or no write end is left, and keeps every pipe far below its capacity. Other
 * things where hosts may legitimately differ are left out on purpose (docs/robustness.md
 * lists them): reads, writes and seeks on directory descriptors, fd_renumber onto a free
 * number, ftruncate on a descriptor not open for writing (POSIX allows EBADF or EINVAL;
 * refwasi says EBADF, Linux EINVAL), rename where one path lies inside the other (POSIX
 * allows several errnos: refwasi checks the file types first, EISDIR or ENOTDIR, Linux the
 * nesting first, ENOTEMPTY or EINVAL), O_CREAT|O_DIRECTORY. And one NodeDirectory limit:
 * a directory descriptor there follows its path, not the directory (Node has no openat), so
 * the program renames or removes no directory while it holds a descriptor to it or below it.
 *
 * -DNO_DUP builds the subset without the dup extension (no dup, dup2 or pipe), which also
 * runs under node:wasi. Natively (gcc), refwasi_dup.h maps everything to the real calls and
 * fd_renumber to dup2 + close.
 */
#include "refwasi_dup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef __wasi__
#include <signal.h>
#endif

#define ROOT "work"
#define MAX_FDS 64
#define PIPE_LIMIT 4096

static uint32_t rng_state;

static uint32_t rnd(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

static uint32_t below(uint32_t n) { return n ? rnd() % n : 0; }

static const char *errname(int e) {
  switch (e) {
    case EBADF: return "EBADF";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EPIPE: return "EPIPE";
    case ESPIPE: return "ESPIPE";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EMFILE: return "EMFILE";
    case EXDEV: return "EXDEV";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EBUSY: return "EBUSY";
    case EIO: return "EIO";
    case EROFS: return "EROFS";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOTSUP: return "ENOTSUP";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: {
      static char buf[32];
      snprintf(buf, sizeof buf, "errno %d", e);
      return buf;
    }
  }
}

/* FNV-1a, to print file contents compactly. */
static uint32_t fnv(const unsigned char *p, size_t n, uint32_t h) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

/* ---- the model of our own descriptors */

enum kind { K_FILE, K_DIR, K_PIPE_R, K_PIPE_W, K_OTHER };
static const char *kind_name[] = {"file", "dir", "pipe-r", "pipe-w", "other"};

struct slot {
  int open;
  enum kind kind;
  int pipe;     /* which pipe, for pipe ends */
  int writable; /* opened for writing (shared by dups) */
  char path[64]; /* for directories: the path it was opened by */
};

static struct slot fds[MAX_FDS];
static int pipe_bytes[MAX_FDS * 2];
#ifndef NO_DUP
static int next_pipe;
#endif
static int step;

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%d ", step);
  vprintf(fmt, ap);
  putchar('\n');
  va_end(ap);
}

/* " = N" or " = ENAME", for a call returning -1 on failure. */
static const char *res(long r) {
  static char buf[64];
  if (r < 0) snprintf(buf, sizeof buf, "%s", errname(errno));
  else snprintf(buf, sizeof buf, "%ld", r);
  return buf;
}

static int count_ends(int pipe, enum kind k) {
  int n = 0;
  for (int i = 0; i < MAX_FDS; i++)
    if (fds[i].open && fds[i].kind == k && fds[i].pipe == pipe) n++;
  return n;
}

/* An fd to act on: one of ours mostly, sometimes one that is not open. Never 0-3. */
static int pick_fd(void) {
  int open[MAX_FDS], n = 0;
  for (int i = 4; i < MAX_FDS; i++)
    if (fds[i].open) open[n++] = i;
  if (n > 0 && below(100) < 88) return open[below(n)];
  int fd;
  do fd = 4 + (int)below(20);
  while (fd < MAX_FDS && fds[fd].open && below(4) != 0);
  return fd;
}

static void forget(int fd) {
  if (fd >= 0 && fd < MAX_FDS) fds[fd].open = 0;
}

static void remember(int fd, enum kind k, int pipe, int writable, const char *path) {
  if (fd < 0) return;
  if (fd >= MAX_FDS) {
    /* Never expected: the program keeps few descriptors. Close it so the run stays small. */
    line("fd %d beyond the model", fd);
    close(fd);
    return;
  }
  fds[fd].open = 1;
  fds[fd].kind = k;
  fds[fd].pipe = pipe;
  fds[fd].writable = writable;
  snprintf(fds[fd].path, sizeof fds[fd].path, "%s", path ? path : "");
}

/* Is a directory at `path`, or below it, open through one of our descriptors? */
static int dir_open_at(const char *path) {
  size_t n = strlen(path);
  for (int i = 0; i < MAX_FDS; i++) {
    if (!fds[i].open || fds[i].kind != K_DIR) continue;
    if (strncmp(fds[i].path, path, n) == 0 && (fds[i].path[n] == '\0' || fds[i].path[n] == '/')) return 1;
  }
  return 0;
}

static enum kind kind_of_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return K_OTHER;
  if (S_ISREG(st.st_mode)) return K_FILE;
  if (S_ISDIR(st.st_mode)) return K_DIR;
  return K_OTHER;
}

/* ---- names */

static const char *const FILES[] = {
    ROOT "/f0", ROOT "/f1", ROOT "/f2", ROOT "/seed.txt", ROOT "/d0/f3", ROOT "/d0/inner.txt",
    ROOT "/d1/f4", ROOT "/d0/d2/f5", ROOT "/d0", ROOT "/d1", ROOT "/missing/f6", ROOT "/f0/x",
};
static const char *const DIRS[] = {
    ROOT "/d0", ROOT "/d1", ROOT "/d0/d2", ROOT "/d1/d3", ROOT "/f1", ROOT "/missing/d4", ROOT "/d0/d2/d5",
};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *any_name(void) {
  return below(3) == 0 ? DIRS[below(COUNT(DIRS))] : FILES[below(COUNT(FILES))];
}

/* ---- operations */

static void op_open(void) {
  const char *path = below(8) == 0 ? DIRS[below(COUNT(DIRS))] : FILES[below(COUNT(FILES))];
  static const int modes[] = {O_RDONLY, O_WRONLY, O_RDWR};
  int flags = modes[below(3)];
  char desc[96];
  strcpy(desc, flags == O_RDONLY ? "r" : flags == O_WRONLY ? "w" : "rw");
  if (below(2)) { flags |= O_CREAT; strcat(desc, "|creat"); }
  if ((flags & O_CREAT) && below(6) == 0) { flags |= O_EXCL; strcat(desc, "|excl"); }
  /* O_TRUNC only with write access: O_RDONLY|O_TRUNC is unspecified by POSIX. */
  if ((flags & O_ACCMODE) != O_RDONLY && below(5) == 0) { flags |= O_TRUNC; strcat(desc, "|trunc"); }
  if (below(4) == 0) { flags |= O_APPEND; strcat(desc, "|append"); }
  /* O_CREAT|O_DIRECTORY changed meaning across Linux versions: not combined. */
  if (!(flags & O_CREAT) && below(8) == 0) { flags |= O_DIRECTORY; strcat(desc, "|directory"); }
  int fd = open(path, flags, 0644);
  if (fd < 0) {
    line("open %s %s = %s", path, desc, errname(errno));
    return;
  }
  enum kind k = kind_of_fd(fd);
  remember(fd, k, -1, (flags & O_ACCMODE) != O_RDONLY, path);
  line("open %s %s = %d %s", path, desc, fd, kind_name[k]);
}

static void op_close(void) {
  int fd = pick_fd();
  int r = close(fd);
  if (r == 0) forget(fd);
  line("close %d = %s", fd, res(r));
}

#ifndef NO_DUP
static void op_dup(void) {
  int fd = pick_fd();
  int r = dup(fd);
  if (r >= 0) remember(r, fds[fd].kind, fds[fd].pipe, fds[fd].writable, fds[fd].path);
  line("dup %d = %s", fd, res(r));
}

static void op_dup2(void) {
  int fd = pick_fd();
  int to = below(4) == 0 ? fd : pick_fd();
  int r = dup2(fd, to);
  if (r >= 0 && to != fd) {
    forget(to);
    struct slot s = fds[fd];
    remember(to, s.kind, s.pipe, s.writable, s.path);
  }
  line("dup2 %d %d = %s", fd, to, res(r));
}

static void op_pipe(void) {
  int p[2];
  int r = pipe(p);
  if (r == 0) {
    int id = next_pipe++ % (MAX_FDS * 2);
    pipe_bytes[id] = 0;
    remember(p[0], K_PIPE_R, id, 0, NULL);
    remember(p[1], K_PIPE_W, id, 1, NULL);
    line("pipe = %d %d", p[0], p[1]);
  } else {
    line("pipe = %s", errname(errno));
  }
}
#endif

/* fd_renumber between two of our open fds (or onto itself); onto a free number hosts differ. */
static void op_renumber(void) {
  int from = pick_fd();
  int to = below(5) == 0 ? from : pick_fd();
  if (to != from && !(to < MAX_FDS && fds[to].open)) return;
  int r = refwasi_renumber(from, to);
  if (r == 0 && to != from) {
    struct slot s = fds[from];
    forget(from);
    forget(to);
    remember(to, s.kind, s.pipe, s.writable, s.path);
  }
  line("renumber %d %d = %s", from, to, res(r));
}

static void op_read(void) {
  int fd = pick_fd();
  int open = fd < MAX_FDS && fds[fd].open;
  if (open && fds[fd].kind == K_DIR) return; /* EISDIR natively, EBADF under WASI: documented */
  size_t want = 1 + below(200);
  if (open && fds[fd].kind == K_PIPE_R) {
    int p = fds[fd].pipe;
    /* An empty pipe with a writer would block natively. */
    if (pipe_bytes[p] == 0 && count_ends(p, K_PIPE_W) > 0) return;
  }
  unsigned char buf[256];
  ssize_t r = read(fd, buf, want);
  if (r < 0) {
    line("read %d %zu = %s", fd, want, errname(errno));
    return;
  }
  if (open && fds[fd].kind == K_PIPE_R) pipe_bytes[fds[fd].pipe] -= (int)r;
  line("read %d %zu = %zd h=%08x", fd, want, r, fnv(buf, (size_t)r, 2166136261u));
}

static void op_write(void) {
  int fd = pick_fd();
  int open = fd < MAX_FDS && fds[fd].open;
  if (open && fds[fd].kind == K_DIR) return;
  size_t n = 1 + below(300);
  if (open && fds[fd].kind == K_PIPE_W) {
    int p = fds[fd].pipe;
    if (pipe_bytes[p] + (int)n > PIPE_LIMIT) return; /* a full pipe would block natively */
  }
  unsigned char buf[320];
  for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)('a' + below(26));
  ssize_t r = write(fd, buf, n);
  if (r > 0 && open && fds[fd].kind == K_PIPE_W) pipe_bytes[fds[fd].pipe] += (int)r;
  line("write %d %zu = %s", fd, n, res(r));
}

static void op_seek(void) {
  int fd = pick_fd();
  if (fd < MAX_FDS && fds[fd].open && fds[fd].kind == K_DIR) return; /* Linux allows it, WASI does not */
  static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  static const char *names[] = {"set", "cur", "end"};
  int w = (int)below(3);
  long off = (long)below(600) - (w == SEEK_SET ? 50 : 300);
  if (below(6) == 0) off = 0;
  off_t r = lseek(fd, off, whences[w]);
  line("seek %d %ld %s = %s", fd, off, names[w], res((long)r));
}

static void op_append(void) {
  int fd = pick_fd();
  int on = below(2);
  int fl = refwasi_fcntl(fd, F_GETFL, 0);
  if (fl < 0) {
    line("getfl %d = %s", fd, errname(errno));
    return;
  }
  int kind = fd < MAX_FDS && fds[fd].open ? (int)fds[fd].kind : K_OTHER;
  const char *acc = (fl & O_ACCMODE) == O_RDONLY ? "r" : (fl & O_ACCMODE) == O_WRONLY ? "w" : (fl & O_ACCMODE) == O_RDWR ? "rw" : "?";
  if (kind == K_DIR) acc = "dir"; /* the access mode of a directory fd is a host detail */
  line("getfl %d = %s%s", fd, acc, (fl & O_APPEND) ? " append" : "");
  int nfl = on ? (fl | O_APPEND) : (fl & ~O_APPEND);
  int r = refwasi_fcntl(fd, F_SETFL, nfl & (O_APPEND | O_NONBLOCK));
  line("setfl %d %s = %s", fd, on ? "append" : "-", res(r));
}

static void op_truncate(void) {
  int fd = pick_fd();
  int open = fd < MAX_FDS && fds[fd].open;
  if (open && (fds[fd].kind != K_FILE || !fds[fd].writable)) return;
  long len = below(4) == 0 ? 0 : (long)below(700);
  int r = ftruncate(fd, len);
  line("truncate %d %ld = %s", fd, len, res(r));
}

static void op_fstat(void) {
  int fd = pick_fd();
  struct stat st;
  int r = fstat(fd, &st);
  if (r != 0) {
    line("fstat %d = %s", fd, errname(errno));
  } else if (S_ISREG(st.st_mode)) {
    line("fstat %d = file %lld", fd, (long long)st.st_size);
  } else {
    line("fstat %d = %s", fd, S_ISDIR(st.st_mode) ? "dir" : "other");
  }
}

static void op_rename(void) {
  const char *a = any_name();
  const char *b = any_name();
  size_t la = strlen(a), lb = strlen(b);
  /* One inside the other: the errno is the host's choice. */
  if ((strncmp(a, b, lb) == 0 && a[lb] == '/') || (strncmp(b, a, la) == 0 && b[la] == '/')) return;
  if (dir_open_at(a) || dir_open_at(b)) return; /* NodeDirectory: see the top */
  line("rename %s %s = %s", a, b, res(rename(a, b)));
}

static void op_unlink(void) {
  const char *a = any_name();
  line("unlink %s = %s", a, res(unlink(a)));
}

static void op_mkdir(void) {
  const char *a = DIRS[below(COUNT(DIRS))];
  line("mkdir %s = %s", a, res(mkdir(a, 0755)));
}

static void op_rmdir(void) {
  const char *a = any_name();
  if (dir_open_at(a)) return; /* NodeDirectory: see the top */
  line("rmdir %s = %s", a, res(rmdir(a)));
}

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

static char type_letter(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return '?';
  return S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'o';
}

/* The sorted names in a directory, without "." and "..". */
static int list_dir(const char *path, char **names, int cap) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n < cap) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  return n;
}

static void op_readdir(void) {
  const char *path = below(4) == 0 ? ROOT : DIRS[below(COUNT(DIRS))];
  char *names[64];
  int n = list_dir(path, names, 64);
  if (n < 0) {
    line("readdir %s = %s", path, errname(errno));
    return;
  }
  char out[2048] = "";
  for (int i = 0; i < n; i++) {
    char full[256];
    snprintf(full, sizeof full, "%s/%s", path, names[i]);
    size_t len = strlen(out);
    snprintf(out + len, sizeof out - len, " %s:%c", names[i], type_letter(full));
    free(names[i]);
  }
  line("readdir %s =%s", path, out);
}

/* ---- the final tree, listed from inside */

static void dump(const char *path) {
  char *names[64];
  int n = list_dir(path, names, 64);
  for (int i = 0; i < n; i++) {
    char full[256];
    snprintf(full, sizeof full, "%s/%s", path, names[i]);
    free(names[i]);
    struct stat st;
    if (lstat(full, &st) != 0) {
      printf("tree %s = %s\n", full, errname(errno));
    } else if (S_ISDIR(st.st_mode)) {
      printf("tree %s/\n", full);
      dump(full);
    } else if (S_ISREG(st.st_mode)) {
      int fd = open(full, O_RDONLY);
      uint32_t h = 2166136261u;
      long total = 0;
      unsigned char buf[512];
      ssize_t r;
      while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0) {
        h = fnv(buf, (size_t)r, h);
        total += r;
      }
      if (fd >= 0) close(fd);
      printf("tree %s %lld %ld h=%08x\n", full, (long long)st.st_size, total, h);
    } else {
      printf("tree %s other\n", full);
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: differential SEED OPS\n");
    return 2;
  }
  rng_state = (uint32_t)strtoul(argv[1], NULL, 10) * 2654435761u + 1u;
  if (rng_state == 0) rng_state = 1;
  long ops = strtol(argv[2], NULL, 10);
#ifndef __wasi__
  /* A write to a pipe nobody reads is EPIPE, as under WASI, not a fatal signal. */
  signal(SIGPIPE, SIG_IGN);
  /* Take fd 3 for the directory, as the preopen does under WASI. */
  int root = open(ROOT, O_RDONLY | O_DIRECTORY);
  if (root != 3) {
    fprintf(stderr, "work should open as fd 3, got %d\n", root);
    return 3;
  }
#endif
  for (step = 0; step < ops; step++) {
    uint32_t r = below(100);
#ifdef NO_DUP
    if (r < 16) op_open();
    else if (r < 27) op_close();
    else if (r < 33) op_renumber();
    else if (r < 46) op_read();
    else if (r < 60) op_write();
    else if (r < 69) op_seek();
    else if (r < 73) op_append();
    else if (r < 79) op_truncate();
    else if (r < 82) op_fstat();
    else if (r < 88) op_rename();
    else if (r < 92) op_unlink();
    else if (r < 95) op_mkdir();
    else if (r < 97) op_rmdir();
    else op_readdir();
#else
    if (r < 13) op_open();
    else if (r < 22) op_close();
    else if (r < 28) op_dup();
    else if (r < 33) op_dup2();
    else if (r < 37) op_renumber();
    else if (r < 41) op_pipe();
    else if (r < 52) op_read();
    else if (r < 64) op_write();
    else if (r < 71) op_seek();
    else if (r < 75) op_append();
    else if (r < 80) op_truncate();
    else if (r < 83) op_fstat();
    else if (r < 88) op_rename();
    else if (r < 92) op_unlink();
    else if (r < 95) op_mkdir();
    else if (r < 97) op_rmdir();
    else op_readdir();
#endif
  }
  for (int fd = 4; fd < MAX_FDS; fd++) {
    if (!fds[fd].open) continue;
    printf("end close %d = %s\n", fd, res(close(fd)));
  }
  dump(ROOT);
  fflush(stdout);
  return 0;
}
