# The optional native addon (refwasi_native.c), built by scripts/build-native.mjs into
# native/build/Release/refwasi_native.node. Plain C against node_api.h: one binary works on
# every Node version with N-API 8.
{
  "targets": [
    {
      "target_name": "refwasi_native",
      "sources": ["refwasi_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2"] }
    }
  ]
}
