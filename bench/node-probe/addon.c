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
NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "fstatat", NAPI_AUTO_LENGTH, do_fstatat, NULL, &f); napi_set_named_property(env, exports, "fstatat", f);
  napi_create_function(env, "openat", NAPI_AUTO_LENGTH, do_openat, NULL, &f); napi_set_named_property(env, exports, "openat", f);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, do_close, NULL, &f); napi_set_named_property(env, exports, "close", f);
  return exports;
}
