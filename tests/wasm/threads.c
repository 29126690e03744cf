/* threads: one program, several instances over one imported memory, as a
 * wasm32-wasip1-threads program's threads are. No libc: this toolchain's
 * wasi-libc is not built for shared memory, so the program calls the WASI
 * imports itself (declared here; wasi/api.h supplies the types).
 *
 * Instance A runs _start. Part way through, its stdout write lets the host
 * call thread_entry in instance B (the host gives B its own stack), which
 * uses the descriptor A opened, dups it, and grows the memory. Later, while
 * A waits in fd_read on stdin, the host's stdin callback calls grow_and_fill
 * in B, so the memory grows during A's call. A then writes through a buffer
 * in the memory B added.
 *
 * Built twice by tests/wasm/build-threads.mjs: threads_shared.wasm (shared memory,
 * as wasm32-wasip1-threads imports it) and threads_plain.wasm (an ordinary
 * imported memory).
 */
#include <stddef.h>
#include <stdint.h>
#include <wasi/api.h>

#define P1(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

int32_t p1_args_sizes_get(__wasi_size_t *argc, __wasi_size_t *size) P1("args_sizes_get");
int32_t p1_args_get(char **argv, char *buf) P1("args_get");
int32_t p1_fd_write(int32_t fd, const __wasi_ciovec_t *iovs, size_t n, __wasi_size_t *written) P1("fd_write");
int32_t p1_fd_read(int32_t fd, const __wasi_iovec_t *iovs, size_t n, __wasi_size_t *nread) P1("fd_read");
int32_t p1_fd_close(int32_t fd) P1("fd_close");
int32_t p1_path_open(int32_t dirfd, int32_t dirflags, const char *path, size_t path_len, int32_t oflags,
                     int64_t rights, int64_t inheriting, int32_t fdflags, __wasi_fd_t *fd) P1("path_open");
_Noreturn void p1_proc_exit(int32_t code) P1("proc_exit");
int32_t wasix_fd_dup(int32_t fd, uint32_t *ret_fd)
    __attribute__((import_module("wasix_32v1"), import_name("fd_dup")));

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

static size_t length(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* State shared by the instances: it lives in the one memory. */
static volatile int32_t shared_fd = -1;
static volatile int32_t dup_fd = -1;
static volatile uint32_t grown_at = 0;
static volatile uint32_t grown_len = 0;
static volatile int32_t b_errors = 0;

static char argbuf[1024];
static char *argv[32];
static char readbuf[256];

static void die(int code) { p1_proc_exit(code); }

static __wasi_size_t put(int fd, const void *p, size_t n) {
  __wasi_ciovec_t iov = {.buf = (const uint8_t *)p, .buf_len = n};
  __wasi_size_t w = 0;
  if (p1_fd_write(fd, &iov, 1, &w) != 0) die(20 + fd);
  return w;
}

static void say(const char *s) { put(1, s, length(s)); }

static int open_at_root(const char *path, __wasi_oflags_t oflags) {
  __wasi_fd_t fd;
  __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE |
                           __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL;
  if (p1_path_open(3, 0, path, length(path), oflags, (int64_t)rights, 0, 0, &fd) != 0) die(30);
  return (int)fd;
}

/* Instance B, called by the host in the middle of A's stdout write. */
void thread_entry(void) {
  if (put(shared_fd, "B;", 2) != 2) b_errors++;
  uint32_t d;
  if (wasix_fd_dup(shared_fd, &d) != 0) b_errors++;
  dup_fd = (int32_t)d;
}

/* Instance B, called by the host while A waits in fd_read: grows the memory
 * by one page and leaves a message at its start. */
void grow_and_fill(void) {
  static const char msg[] = "written into memory that B grew\n";
  size_t old = __builtin_wasm_memory_grow(0, 1);
  if (old == (size_t)-1) {
    b_errors++;
    return;
  }
  char *at = (char *)(old * 65536);
  memcpy(at, msg, sizeof msg - 1);
  grown_at = (uint32_t)(uintptr_t)at;
  grown_len = sizeof msg - 1;
}

void _start(void) {
  __wasi_size_t argc, argsize;
  if (p1_args_sizes_get(&argc, &argsize) != 0 || argc > 32 || argsize > sizeof argbuf) die(10);
  if (p1_args_get(argv, argbuf) != 0) die(11);
  for (size_t i = 1; i < argc; i++) {
    say(argv[i]);
    say("\n");
  }

  /* The path is read by the host out of this memory. */
  shared_fd = open_at_root("données/é.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC);
  put(shared_fd, "A1;", 3);
  say("A: opened\n"); /* the host runs B's thread_entry here */
  if (dup_fd < 0 || b_errors) die(40);
  put(shared_fd, "A2;", 3);
  if (p1_fd_close(shared_fd) != 0) die(41);
  put(dup_fd, "A3;", 3); /* B's dup shares the offset: appends */
  if (p1_fd_close(dup_fd) != 0) die(42);

  /* The host's stdin callback runs B's grow_and_fill during this read. */
  __wasi_iovec_t iov = {.buf = (uint8_t *)readbuf, .buf_len = sizeof readbuf};
  __wasi_size_t n = 0;
  if (p1_fd_read(0, &iov, 1, &n) != 0) die(50);
  put(1, readbuf, n);
  if (grown_at == 0 || b_errors) die(51);
  put(1, (const void *)(uintptr_t)grown_at, grown_len);

  int check = open_at_root("données/é.txt", 0);
  iov.buf_len = sizeof readbuf;
  if (p1_fd_read(check, &iov, 1, &n) != 0) die(60);
  say("file: ");
  put(1, readbuf, n);
  say("\n");
  p1_proc_exit(3);
}
