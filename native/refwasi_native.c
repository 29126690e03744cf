/*
 * refwasi's optional native addon: the *at() system calls NodeDirectory makes on the
 * directory fds it holds, called directly instead of through Node's fs (which costs about a
 * microsecond of binding per call above the system call, and has no *at() calls at all, so
 * the JS path names entries as /proc/self/fd/N/name). See docs/node.md.
 *
 * Every function is synchronous and returns a number: >= 0 on success, -errno on failure,
 * so no exception is built for an expected ENOENT. Names are single path components (the
 * caller checks); nothing here resolves a path or follows a symlink in the last component.
 * Stats are written into a caller's 64-byte buffer as 8 int64s:
 * dev, ino, mode, nlink, size, atime ns, mtime ns, ctime ns.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#endif

#ifndef O_PATH
#define O_PATH O_RDONLY /* macOS: no O_PATH; a searchable-only directory then fails EACCES */
#endif

#ifdef __APPLE__
#define ST_ATIM st_atimespec
#define ST_MTIM st_mtimespec
#define ST_CTIM st_ctimespec
#else
#define ST_ATIM st_atim
#define ST_MTIM st_mtim
#define ST_CTIM st_ctim
#endif

#define MAX_ARGS 5
/* Longer than any name a filesystem takes (NAME_MAX 255 bytes) or a symlink target (PATH_MAX). */
#define NAME_BYTES (PATH_MAX + 1)

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
} call_t;

static int get_args(napi_env env, napi_callback_info info, call_t *c) {
  c->env = env;
  c->argc = MAX_ARGS;
  return napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) == napi_ok ? 0 : -EINVAL;
}

static int32_t arg_int(call_t *c, size_t i) {
  int32_t v = -1;
  if (i < c->argc) napi_get_value_int32(c->env, c->argv[i], &v);
  return v;
}

static double arg_double(call_t *c, size_t i) {
  double v = -1;
  if (i < c->argc) napi_get_value_double(c->env, c->argv[i], &v);
  return v;
}

/* A string argument into buf; -ENAMETOOLONG if it does not fit, -EINVAL if not a string or it holds NUL. */
static int arg_string(call_t *c, size_t i, char *buf, size_t size) {
  size_t len = 0;
  if (i >= c->argc || napi_get_value_string_utf8(c->env, c->argv[i], buf, size, &len) != napi_ok) return -EINVAL;
  if (len >= size - 1) return -ENAMETOOLONG;
  if (strlen(buf) != len) return -EINVAL;
  return 0;
}

/* The bytes of a typed array argument (any kind), or NULL if it is not one. */
static void *arg_bytes(call_t *c, size_t i, size_t *bytes) {
  static char empty; /* an empty array may have no data: it still is an array */
  napi_typedarray_type type;
  size_t length, offset;
  void *data = NULL;
  napi_value ab;
  if (i >= c->argc || napi_get_typedarray_info(c->env, c->argv[i], &type, &length, &data, &ab, &offset) != napi_ok) return NULL;
  size_t unit = type == napi_int8_array || type == napi_uint8_array || type == napi_uint8_clamped_array ? 1
              : type == napi_int16_array || type == napi_uint16_array ? 2
              : type == napi_int32_array || type == napi_uint32_array || type == napi_float32_array ? 4 : 8;
  *bytes = length * unit;
  return data != NULL ? data : &empty;
}

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value result(napi_env env, long r) {
  return num(env, r < 0 ? -errno : (double)r);
}

static int64_t ns(struct timespec t) {
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void put_stat(int64_t *out, const struct stat *st) {
  out[0] = (int64_t)st->st_dev;
  out[1] = (int64_t)st->st_ino;
  out[2] = st->st_mode;
  out[3] = (int64_t)st->st_nlink;
  out[4] = st->st_size;
  out[5] = ns(st->ST_ATIM);
  out[6] = ns(st->ST_MTIM);
  out[7] = ns(st->ST_CTIM);
}

/* The stat buffer argument i, or NULL if it is not 64 bytes. */
static int64_t *arg_stat(call_t *c, size_t i) {
  size_t bytes = 0;
  int64_t *out = arg_bytes(c, i, &bytes);
  return bytes >= 8 * sizeof(int64_t) ? out : NULL;
}

#define BEGIN(n)                                        \
  call_t c;                                             \
  if (get_args(env, info, &c) != 0 || c.argc < (n)) return num(env, -EINVAL)

/* fstatat(dirfd, name, out): lstat of one entry, never following it. */
static napi_value do_fstatat(napi_env env, napi_callback_info info) {
  BEGIN(3);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  int64_t *out = arg_stat(&c, 2);
  if (e != 0 || out == NULL) return num(env, e ? e : -EINVAL);
  struct stat st;
  if (fstatat(arg_int(&c, 0), name, &st, AT_SYMLINK_NOFOLLOW) != 0) return num(env, -errno);
  put_stat(out, &st);
  return num(env, 0);
}

/* fstat(fd, out). */
static napi_value do_fstat(napi_env env, napi_callback_info info) {
  BEGIN(2);
  int64_t *out = arg_stat(&c, 1);
  if (out == NULL) return num(env, -EINVAL);
  struct stat st;
  if (fstat(arg_int(&c, 0), &st) != 0) return num(env, -errno);
  put_stat(out, &st);
  return num(env, 0);
}

/* fsize(fd): the size alone, for appends, without building a stat. */
static napi_value do_fsize(napi_env env, napi_callback_info info) {
  BEGIN(1);
  struct stat st;
  if (fstat(arg_int(&c, 0), &st) != 0) return num(env, -errno);
  return num(env, (double)st.st_size);
}

/*
 * openFile(dirfd, name, flags, rejectDir): openat with O_CLOEXEC, mode 0666. With rejectDir,
 * a directory (Linux opens one read-only without complaint) is closed again and EISDIR.
 */
static napi_value do_open_file(napi_env env, napi_callback_info info) {
  BEGIN(4);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  if (e != 0) return num(env, e);
  int fd = openat(arg_int(&c, 0), name, arg_int(&c, 2) | O_CLOEXEC, 0666);
  if (fd < 0) return num(env, -errno);
  if (arg_int(&c, 3) == 1) {
    struct stat st;
    int bad = fstat(fd, &st) != 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
    if (bad != 0) {
      close(fd);
      return num(env, bad);
    }
  }
  return num(env, fd);
}

/*
 * An open of a relative path of plain names (no '.', '..') below dirfd in one call:
 * openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, so the kernel
 * walks real directories only, down from dirfd, and any symlink on the way (or at the end)
 * is ELOOP, for the caller to walk the long way. -ENOSYS where there is no openat2 (Linux
 * before 5.6, or a seccomp filter that refuses it).
 */
static int open_beneath(int dirfd, const char *path, int flags) {
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(unsigned)flags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  return fd >= 0 ? (int)fd : -errno;
#else
  (void)dirfd, (void)path, (void)flags;
  return -ENOSYS;
#endif
}

/*
 * openEntry(dirfd, name, flags, out): openat with O_CLOEXEC (flags hold O_NOFOLLOW), and the
 * fd's fstat into out, for opening an existing file without a lookup first; a name with '/'
 * goes through open_beneath. A directory is closed again: -EISDIR (the caller then opens it
 * the way directories are). Never creates (flags have no O_CREAT).
 */
static napi_value do_open_entry(napi_env env, napi_callback_info info) {
  BEGIN(4);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  int64_t *out = arg_stat(&c, 3);
  if (e != 0 || out == NULL) return num(env, e ? e : -EINVAL);
  int flags = (arg_int(&c, 2) & ~O_CREAT) | O_CLOEXEC | O_NOFOLLOW;
  int fd;
  if (strchr(name, '/') != NULL) {
    fd = open_beneath(arg_int(&c, 0), name, flags);
  } else {
    fd = openat(arg_int(&c, 0), name, flags);
    if (fd < 0) fd = -errno;
  }
  if (fd < 0) return num(env, fd);
  struct stat st;
  int bad = fstat(fd, &st) != 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
  if (bad != 0) {
    close(fd);
    return num(env, bad);
  }
  put_stat(out, &st);
  return num(env, fd);
}

/*
 * openDir(dirfd, name, out): a directory fd (O_PATH, so a directory that may only be
 * searched can still be walked through; O_NOFOLLOW, O_DIRECTORY) and its fstat, so the
 * caller checks it is the directory its lookup saw.
 */
static napi_value do_open_dir(napi_env env, napi_callback_info info) {
  BEGIN(3);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  int64_t *out = arg_stat(&c, 2);
  if (e != 0 || out == NULL) return num(env, e ? e : -EINVAL);
  int dirfd = arg_int(&c, 0);
  int fd = openat(dirfd == -100 ? AT_FDCWD : dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return num(env, -errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = -errno;
    close(fd);
    return num(env, err);
  }
  put_stat(out, &st);
  return num(env, fd);
}

static napi_value do_close(napi_env env, napi_callback_info info) {
  BEGIN(1);
  return result(env, close(arg_int(&c, 0)));
}

static napi_value do_mkdirat(napi_env env, napi_callback_info info) {
  BEGIN(3);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  if (e != 0) return num(env, e);
  return result(env, mkdirat(arg_int(&c, 0), name, (mode_t)arg_int(&c, 2)));
}

/* unlinkat(dirfd, name, removeDir): rmdir when removeDir is 1. */
static napi_value do_unlinkat(napi_env env, napi_callback_info info) {
  BEGIN(3);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  if (e != 0) return num(env, e);
  return result(env, unlinkat(arg_int(&c, 0), name, arg_int(&c, 2) == 1 ? AT_REMOVEDIR : 0));
}

/* symlinkat(target, dirfd, name). */
static napi_value do_symlinkat(napi_env env, napi_callback_info info) {
  BEGIN(3);
  char target[NAME_BYTES], name[NAME_BYTES];
  int e = arg_string(&c, 0, target, sizeof target);
  if (e == 0) e = arg_string(&c, 2, name, sizeof name);
  if (e != 0) return num(env, e);
  return result(env, symlinkat(target, arg_int(&c, 1), name));
}

/* linkat(fromDir, from, toDir, to), flags 0: a symlink source is linked itself, not followed. */
static napi_value do_linkat(napi_env env, napi_callback_info info) {
  BEGIN(4);
  char from[NAME_BYTES], to[NAME_BYTES];
  int e = arg_string(&c, 1, from, sizeof from);
  if (e == 0) e = arg_string(&c, 3, to, sizeof to);
  if (e != 0) return num(env, e);
  return result(env, linkat(arg_int(&c, 0), from, arg_int(&c, 2), to, 0));
}

/* renameat(fromDir, from, toDir, to). */
static napi_value do_renameat(napi_env env, napi_callback_info info) {
  BEGIN(4);
  char from[NAME_BYTES], to[NAME_BYTES];
  int e = arg_string(&c, 1, from, sizeof from);
  if (e == 0) e = arg_string(&c, 3, to, sizeof to);
  if (e != 0) return num(env, e);
  return result(env, renameat(arg_int(&c, 0), from, arg_int(&c, 2), to));
}

/* readlinkat(dirfd, name): the target as a string, or -errno. */
static napi_value do_readlinkat(napi_env env, napi_callback_info info) {
  BEGIN(2);
  char name[NAME_BYTES], target[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  if (e != 0) return num(env, e);
  ssize_t n = readlinkat(arg_int(&c, 0), name, target, sizeof target);
  if (n < 0) return num(env, -errno);
  if ((size_t)n >= sizeof target) return num(env, -ENAMETOOLONG);
  napi_value r;
  napi_create_string_utf8(env, target, (size_t)n, &r);
  return r;
}

/*
 * utimensat(dirfd, name, times, follow): times is 4 int64s (atime s, ns, mtime s, ns), ns
 * may be UTIME_NOW or UTIME_OMIT, which the caller gets from constants(). dirfd -100 is
 * AT_FDCWD. Without follow, a symlink's own times are set.
 */
static napi_value do_utimensat(napi_env env, napi_callback_info info) {
  BEGIN(4);
  char name[NAME_BYTES];
  int e = arg_string(&c, 1, name, sizeof name);
  size_t bytes = 0;
  int64_t *t = arg_bytes(&c, 2, &bytes);
  if (e != 0 || t == NULL || bytes < 4 * sizeof(int64_t)) return num(env, e ? e : -EINVAL);
  struct timespec ts[2] = {{(time_t)t[0], (long)t[1]}, {(time_t)t[2], (long)t[3]}};
  int dirfd = arg_int(&c, 0);
  return result(env, utimensat(dirfd == -100 ? AT_FDCWD : dirfd, name, ts, arg_int(&c, 3) == 1 ? 0 : AT_SYMLINK_NOFOLLOW));
}

/* futimens(fd, times), times as for utimensat. */
static napi_value do_futimens(napi_env env, napi_callback_info info) {
  BEGIN(2);
  size_t bytes = 0;
  int64_t *t = arg_bytes(&c, 1, &bytes);
  if (t == NULL || bytes < 4 * sizeof(int64_t)) return num(env, -EINVAL);
  struct timespec ts[2] = {{(time_t)t[0], (long)t[1]}, {(time_t)t[2], (long)t[3]}};
  return result(env, futimens(arg_int(&c, 0), ts));
}

/*
 * The bytes [at, at + length) of a typed array argument (guest memory itself: no copy), or
 * NULL if the range is not inside it.
 */
static void *arg_range(call_t *c, size_t i, size_t *length) {
  size_t bytes = 0;
  char *data = arg_bytes(c, i, &bytes);
  double at = arg_double(c, i + 1), len = arg_double(c, i + 2);
  if (data == NULL || at < 0 || len < 0 || at + len > (double)bytes) return NULL;
  *length = (size_t)len;
  return data + (size_t)at;
}

/* pread(fd, bytes, at, length, position) and pwrite(...): straight into or from the range. */
static napi_value do_pread(napi_env env, napi_callback_info info) {
  BEGIN(5);
  size_t len = 0;
  void *data = arg_range(&c, 1, &len);
  if (data == NULL) return num(env, -EFAULT);
  return result(env, pread(arg_int(&c, 0), data, len, (off_t)arg_double(&c, 4)));
}

static napi_value do_pwrite(napi_env env, napi_callback_info info) {
  BEGIN(5);
  size_t len = 0;
  void *data = arg_range(&c, 1, &len);
  if (data == NULL) return num(env, -EFAULT);
  return result(env, pwrite(arg_int(&c, 0), data, len, (off_t)arg_double(&c, 4)));
}

/*
 * append(fd, bytes, at, length): writes the range at the end of the file as the host sees
 * it at that moment, atomically (pwritev2 RWF_APPEND: another process appending at the same
 * time is not overwritten, as it would be by an fstat and a pwrite), and leaves the fd's own
 * offset just past it, for tell() to answer when the end is wanted. The fd is not O_APPEND
 * (pwrite at a position must keep working), so the flag is per call. Kernels before 4.16
 * answer EOPNOTSUPP or EINVAL: then fstat, pwrite and an lseek to keep that offset true.
 */
static napi_value do_append(napi_env env, napi_callback_info info) {
  BEGIN(4);
  size_t len = 0;
  char *data = arg_range(&c, 1, &len);
  if (data == NULL) return num(env, -EFAULT);
  int fd = arg_int(&c, 0);
#ifdef RWF_APPEND
  struct iovec iov = {data, len};
  ssize_t n = pwritev2(fd, &iov, 1, -1, RWF_APPEND);
  if (n >= 0) return num(env, (double)n);
  if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS) return num(env, -errno);
#endif
  struct stat st;
  if (fstat(fd, &st) != 0) return num(env, -errno);
  ssize_t w = pwrite(fd, data, len, st.st_size);
  if (w < 0) return num(env, -errno);
  if (lseek(fd, st.st_size + w, SEEK_SET) < 0) return num(env, -errno);
  return num(env, (double)w);
}

/* tell(fd): the fd's own offset (where the last append ended). */
static napi_value do_tell(napi_env env, napi_callback_info info) {
  BEGIN(1);
  return result(env, (long)lseek(arg_int(&c, 0), 0, SEEK_CUR));
}

/*
 * readdir(dirfd): the entries of the directory dirfd holds (an O_PATH fd: it is opened
 * again, read-only, through "."), without "." and "..", as [names joined by "/" (which no
 * name holds), BigUint64Array of inode numbers, Uint8Array of d_type values].
 * A d_type of DT_UNKNOWN (filesystems that do not fill it) is found by fstatat; an entry gone
 * by then is left out, as a snapshot taken a moment later would.
 */
static napi_value do_readdir(napi_env env, napi_callback_info info) {
  BEGIN(1);
  int fd = openat(arg_int(&c, 0), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return num(env, -errno);
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int err = -errno;
    close(fd);
    return num(env, err);
  }
  size_t cap = 64, count = 0, used = 0, room = 4096;
  uint64_t *inos = malloc(cap * sizeof *inos);
  uint8_t *types = malloc(cap);
  char *names = malloc(room);
  int err = 0;
  if (inos == NULL || types == NULL || names == NULL) err = -ENOMEM;
  for (;;) {
    if (err != 0) break;
    errno = 0;
    struct dirent *d = readdir(dir);
    if (d == NULL) {
      err = errno ? -errno : 0;
      break;
    }
    const char *n = d->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    uint8_t type = d->d_type;
    uint64_t ino = d->d_ino;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd(dir), n, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = IFTODT(st.st_mode);
      ino = st.st_ino;
    }
    size_t len = strlen(n);
    if (count == cap) {
      cap *= 2;
      uint64_t *i2 = realloc(inos, cap * sizeof *inos);
      uint8_t *t2 = i2 ? realloc(types, cap) : NULL;
      if (i2) inos = i2;
      if (t2) types = t2;
      if (!i2 || !t2) { err = -ENOMEM; break; }
    }
    if (used + len + 1 > room) {
      while (used + len + 1 > room) room *= 2;
      char *n2 = realloc(names, room);
      if (!n2) { err = -ENOMEM; break; }
      names = n2;
    }
    if (count > 0) names[used++] = '/';
    memcpy(names + used, n, len);
    used += len;
    inos[count] = ino;
    types[count] = type;
    count++;
  }
  closedir(dir);
  napi_value out = NULL;
  if (err == 0) {
    napi_value str, ino_ab, ino_arr, type_ab, type_arr;
    void *ino_data, *type_data;
    napi_create_string_utf8(env, names, used, &str);
    napi_create_arraybuffer(env, count * sizeof(uint64_t), &ino_data, &ino_ab);
    if (count) memcpy(ino_data, inos, count * sizeof(uint64_t));
    napi_create_typedarray(env, napi_biguint64_array, count, ino_ab, 0, &ino_arr);
    napi_create_arraybuffer(env, count, &type_data, &type_ab);
    if (count) memcpy(type_data, types, count);
    napi_create_typedarray(env, napi_uint8_array, count, type_ab, 0, &type_arr);
    napi_create_array_with_length(env, 3, &out);
    napi_set_element(env, out, 0, str);
    napi_set_element(env, out, 1, ino_arr);
    napi_set_element(env, out, 2, type_arr);
  }
  free(inos);
  free(types);
  free(names);
  return out != NULL ? out : num(env, err);
}

/* The platform's numbers the JS side needs: errno values come back as -errno and are named by os.constants. */
static napi_value do_constants(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "UTIME_NOW", num(env, UTIME_NOW));
  napi_set_named_property(env, o, "UTIME_OMIT", num(env, UTIME_OMIT));
  napi_set_named_property(env, o, "DT_DIR", num(env, DT_DIR));
  napi_set_named_property(env, o, "DT_REG", num(env, DT_REG));
  napi_set_named_property(env, o, "DT_LNK", num(env, DT_LNK));
  napi_set_named_property(env, o, "DT_CHR", num(env, DT_CHR));
  napi_set_named_property(env, o, "DT_BLK", num(env, DT_BLK));
  napi_set_named_property(env, o, "DT_SOCK", num(env, DT_SOCK));
  return o;
}

NAPI_MODULE_INIT() {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"fstatat", do_fstatat},     {"fstat", do_fstat},         {"fsize", do_fsize},
      {"openFile", do_open_file},  {"openEntry", do_open_entry}, {"openDir", do_open_dir},    {"close", do_close},
      {"mkdirat", do_mkdirat},     {"unlinkat", do_unlinkat},   {"symlinkat", do_symlinkat},
      {"linkat", do_linkat},       {"renameat", do_renameat},   {"readlinkat", do_readlinkat},
      {"utimensat", do_utimensat}, {"futimens", do_futimens},   {"pread", do_pread},
      {"pwrite", do_pwrite},       {"append", do_append},       {"tell", do_tell},       {"readdir", do_readdir},     {"constants", do_constants},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
