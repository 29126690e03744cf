#!/usr/bin/env python3
"""Runs a WASI command under wasmtime through its Python package (`pip install wasmtime`,
which ships the native library), for `refwasi conformance`:

  refwasi conformance --runtime 'wasmtime=python3 scripts/wasmtime-run.py --dir {dir}::{guest} --env {env} {wasm} {args}'

Options as `wasmtime run`'s: --dir HOST::GUEST, --env K=V, then the program and its arguments.
stdio is inherited; the exit status is the program's (a trap is 134, as wasmtime's)."""
import os
import sys

import wasmtime


def main(argv):
    if argv[:1] == ['--version']:
        from importlib.metadata import version
        print(f'{version("wasmtime")} (Python package)')
        return 0
    dirs, env = [], []
    while argv and argv[0] in ('--dir', '--env'):
        flag, value, argv = argv[0], argv[1], argv[2:]
        if flag == '--dir':
            host, _, guest = value.partition('::')
            dirs.append((host, guest or host))
        else:
            k, _, v = value.partition('=')
            env.append((k, v))
    if not argv:
        print('usage: wasmtime-run.py [--dir HOST::GUEST]... [--env K=V]... prog.wasm [args...]', file=sys.stderr)
        return 2
    wasm = argv[0]
    config = wasmtime.WasiConfig()
    config.argv = [os.path.basename(wasm)] + argv[1:]
    config.env = env
    for host, guest in dirs:
        config.preopen_dir(host, guest)
    config.inherit_stdin()
    config.inherit_stdout()
    config.inherit_stderr()
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(config)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, wasm)
    try:
        instance = linker.instantiate(store, module)
        instance.exports(store)['_start'](store)
    except wasmtime.ExitTrap as e:
        return e.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
        print(f'wasmtime: {str(e).splitlines()[0] if str(e) else e}', file=sys.stderr)
        return 134
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
