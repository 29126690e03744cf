#!/usr/bin/env bash
# Installs what the fixtures and browser tests need on Debian: clang 14 + lld + wasi-libc for
# building the C fixtures, and Chromium for the browser tests. Only what is missing is installed.
set -euo pipefail
want=(clang lld wasi-libc libclang-rt-dev-wasm32 chromium)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
