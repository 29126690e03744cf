import type { RenumberMode } from '../../descriptors/table';
import { WASI } from '../../wasi';
import { shimDescriptor, shimPreopenName } from './install';
import type { ShimFd } from './types';

type ImportFamily = Record<string, (...args: never[]) => number>;

export interface ShimWASIOptions {
  /** Accepted for compatibility with browser_wasi_shim; refwasi has no debug log. */
  debug?: boolean;
  /** fd_renumber onto a free number: 'strict' (default) or 'permissive'. */
  renumber?: RenumberMode;
}

/**
 * browser_wasi_shim's `WASI` class, on refwasi: the same constructor (`args`, `env` as
 * "KEY=value" strings, `fds` as shim `Fd` objects), `wasiImport`, `start` and `initialize`,
 * so switching is one import line. Fds 0, 1 and 2 are read-only, write-only, write-only, as
 * refwasi's stdio always is. Every entry of `fds` becomes the host handle of one open
 * file description at that fd number (preopens where its `fd_prestat_get` says so); from
 * then on dup, renumber and close follow refwasi's POSIX rules and each Fd's `fd_close`
 * runs exactly once, when the last descriptor referring to it goes (at the latest when
 * `start` returns).
 *
 * `wasiImport` is `wasi_snapshot_preview1`; programs that use the dup extension also need
 * `wasix_32v1: wasi.wasixImport` (or take both from `getImportObject()`).
 */
export class ShimWASI {
  args: string[];
  env: string[];
  fds: ShimFd[];
  inst: { exports: Record<string, unknown> } | null = null;
  /** The refwasi WASI underneath (its descriptor table is `wasi.table`). */
  readonly wasi: WASI;
  readonly wasiImport: ImportFamily;
  readonly wasixImport: ImportFamily;

  constructor(args: string[], env: string[], fds: ShimFd[], options: ShimWASIOptions = {}) {
    this.args = args;
    this.env = env;
    this.fds = fds;
    const vars: Record<string, string> = {};
    for (const entry of env) {
      const eq = entry.indexOf('=');
      if (eq < 0) vars[entry] = '';
      else vars[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    this.wasi = new WASI({ args, env: vars, renumber: options.renumber });
    const table = this.wasi.table;
    // The shim leaves an fd closed when the array has nothing there: so does this.
    for (let fd = 0; fd < Math.max(3, fds.length); fd++) {
      if (table.has(fd)) table.close(fd);
      const obj = fds[fd];
      if (obj === undefined || obj === null) continue;
      // Stdio keeps refwasi's directions (0 reads, 1 and 2 write), as WASI's own options do.
      const access = fd === 0 ? { readable: true, writable: false } : fd < 3 ? { readable: false, writable: true } : {};
      table.insertAt(fd, shimDescriptor(obj, { preopenPath: shimPreopenName(obj), ...access }));
    }
    const imports = this.wasi.getImportObject();
    this.wasiImport = imports.wasi_snapshot_preview1;
    this.wasixImport = imports.wasix_32v1;
  }

  /** `{ wasi_snapshot_preview1, wasix_32v1 }`. */
  getImportObject(): { wasi_snapshot_preview1: ImportFamily; wasix_32v1: ImportFamily } {
    return this.wasi.getImportObject();
  }

  /** Runs `_start`; returns the exit code. Every descriptor is closed afterwards. */
  start(instance: { exports: Record<string, unknown> }): number {
    this.inst = instance;
    return this.wasi.start(instance as WebAssembly.Instance);
  }

  /** Runs a reactor's `_initialize`. */
  initialize(instance: { exports: Record<string, unknown> }): void {
    this.inst = instance;
    this.wasi.initialize(instance as WebAssembly.Instance);
  }
}
