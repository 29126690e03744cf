/*
 * A minimal N-API addon with the *at() calls NodeDirectory would use natively, only to
 * measure what a native addon would save over Node's fs through /proc/self/fd (see
 * docs/node.md). Not part of refwasi. Built and run by bench/node-probe/run.mjs.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <errno.h>
#include <time.h>
/* fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) into a Float64Array; returns 0 or -errno. */
static napi_value do_fstatat(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t dirfd; napi_get_value_int32(env, argv[0], &dirfd);
  char name[4096]; size_t len; napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len);
  void *data; size_t n; napi_typedarray_type t; napi_value ab; size_t off;
  napi_get_typedarray_info(env, argv[2], &t, &n, &data, &ab, &off);
  struct stat st; int r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
  double *o = data;
  if (r == 0) { o[0]=st.st_dev; o[1]=st.st_ino; o[2]=st.st_mode; o[3]=st.st_nlink; o[4]=st.st_size; o[5]=st.st_mtim.tv_sec; o[6]=st.st_mtim.tv_nsec; }
  napi_value ret; napi_create_int32(env, r == 0 ? 0 : -errno, &ret); return ret;
}
static napi_value do_openat(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t dirfd, flags; napi_get_value_int32(env, argv[0], &dirfd); napi_get_value_int32(env, argv[2], &flags);
  char name[4096]; size_t len; napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len);
  int r = openat(dirfd, name, flags | O_CLOEXEC);
  napi_value ret; napi_create_int32(env, r >= 0 ? r : -errno, &ret); return ret;
}
static napi_value do_close(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd; napi_get_value_int32(env, argv[0], &fd);
  int r = close(fd); napi_value ret; napi_create_int32(env, r == 0 ? 0 : -errno, &ret); return ret;
}
/* pwriteLoop(fd, n): n 16-byte pwrites in C, none crossing into JS; ns per call (the system call's own cost). */
static napi_value do_pwrite_loop(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, n; napi_get_value_int32(env, argv[0], &fd); napi_get_value_int32(env, argv[1], &n);
  static const char buf[16] = "0123456789abcdef";
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int32_t i = 0; i < n; i++) (void)pwrite(fd, buf, 16, (off_t)i * 16);
  clock_gettime(CLOCK_MONOTONIC, &b);
  napi_value ret; napi_create_double(env, ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n, &ret); return ret;
}
/* pwrite16(fd, Uint8Array, offset): one 16-byte pwrite from JS; bytes written or -errno. */
static napi_value do_pwrite16(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd; double off; napi_get_value_int32(env, argv[0], &fd); napi_get_value_double(env, argv[2], &off);
  void *data; size_t len; napi_typedarray_type t; napi_value ab; size_t at;
  napi_get_typedarray_info(env, argv[1], &t, &len, &data, &ab, &at);
  ssize_t r = pwrite(fd, data, len < 16 ? len : 16, (off_t)off);
  napi_value ret; napi_create_int32(env, r >= 0 ? (int32_t)r : -errno, &ret); return ret;
}
NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "fstatat", NAPI_AUTO_LENGTH, do_fstatat, NULL, &f); napi_set_named_property(env, exports, "fstatat", f);
  napi_create_function(env, "openat", NAPI_AUTO_LENGTH, do_openat, NULL, &f); napi_set_named_property(env, exports, "openat", f);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, do_close, NULL, &f); napi_set_named_property(env, exports, "close", f);
  napi_create_function(env, "pwriteLoop", NAPI_AUTO_LENGTH, do_pwrite_loop, NULL, &f); napi_set_named_property(env, exports, "pwriteLoop", f);
  napi_create_function(env, "pwrite16", NAPI_AUTO_LENGTH, do_pwrite16, NULL, &f); napi_set_named_property(env, exports, "pwrite16", f);
  return exports;
}
