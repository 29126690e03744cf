#!/usr/bin/env bash
# Rebuilds the browser tests' own wasm program (the .wasm is committed; this needs clang and
# wasi-libc, which scripts/setup-debian.sh installs).
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -Os -Wall -Werror -I ../../../fixtures/include -Wl,--strip-all -o probe.wasm probe.c
