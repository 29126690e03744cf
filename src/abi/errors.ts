import { Errno } from './constants';

/**
 * Thrown by tables and backends to fail a syscall with an errno. Syscalls never let it
 * (or anything else) reach the guest: the import wrapper turns it into a return value.
 */
export class WasiError extends Error {
  constructor(readonly errno: Errno, message?: string) {
    super(message ?? `WASI errno ${Errno[errno] ?? errno}`);
    this.name = 'WasiError';
  }
}

/** Unwinds the guest's stack on proc_exit; `WASI.start` turns it into the exit code. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
    this.name = 'ProcExit';
  }
}

/**
 * A syscall that stops the guest instead of returning an errno, as wasmtime traps: it passes
 * through the import wrapper and out of `WASI.start` (or the reactor's export) unchanged.
 */
export class WasiTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasiTrap';
  }
}

/**
 * Thrown inside a syscall when guest memory was replaced while it ran (a host callback grew
 * a non-shared memory, detaching the views the syscall held) before anything was consumed:
 * the import wrapper runs the syscall again over the new memory.
 */
export class MemoryMoved extends Error {
  constructor() {
    super('guest memory grew during the call');
    this.name = 'MemoryMoved';
  }
}

/** Shorthand for throwing: `fail(Errno.BADF)`. */
export function fail(errno: Errno, message?: string): never {
  throw new WasiError(errno, message);
}

/**
 * The errno for anything a syscall threw. Errors that refwasi did not raise itself become
 * EIO (host trouble), except RangeErrors from typed arrays, which mean a bad length or
 * pointer got past a check (EFAULT is the honest answer), and exhausted memory (ENOMEM).
 */
export function errnoOf(e: unknown): Errno {
  if (e instanceof WasiError) return e.errno;
  // A second copy of refwasi (CommonJS next to ESM) has its own WasiError class.
  if (e instanceof Error && e.name === 'WasiError' && typeof (e as WasiError).errno === 'number') return (e as WasiError).errno;
  if (e instanceof RangeError) {
    return /memory|allocat/i.test(e.message) ? Errno.NOMEM : Errno.FAULT;
  }
  return Errno.IO;
}
