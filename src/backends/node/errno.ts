import { constants as osConstants } from 'node:os';
import { Errno } from '../../abi/constants';
import { WasiError } from '../../abi/errors';

/**
 * Node error code (`err.code`, e.g. 'ENOENT') → WASI errno. WASI's errno names are the
 * POSIX names without the leading E, so the table is derived from the Errno enum itself;
 * that covers every POSIX code WASI has, and a new one can't be forgotten.
 */
export const HOST_ERRNO: ReadonlyMap<string, Errno> = (() => {
  const map = new Map<string, Errno>();
  for (const [name, value] of Object.entries(Errno)) {
    if (typeof value !== 'number' || value === Errno.SUCCESS) continue;
    map.set(`E${name}`, value);
  }
  // Names that differ from "E" + WASI name, and aliases some platforms use.
  map.set('E2BIG', Errno.TOOBIG);
  map.delete('ETOOBIG');
  map.delete('ENOTCAPABLE');
  map.set('EOPNOTSUPP', Errno.NOTSUP);
  map.set('EWOULDBLOCK', Errno.AGAIN);
  map.set('EDEADLOCK', Errno.DEADLK);
  map.set('ESHUTDOWN', Errno.PIPE);
  map.set('ECHARSET', Errno.ILSEQ); // libuv: a name the platform can't encode
  return map;
})();

/** The WASI errno for a Node system error; anything without a known code is host trouble: EIO. */
export function errnoFromHost(error: unknown): Errno {
  if (error instanceof WasiError) return error.errno;
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && HOST_ERRNO.get(code)) || Errno.IO;
}

/**
 * Runs one host call. Whatever it throws leaves as a WasiError, so no raw Node exception
 * (nor a RangeError that the core would misreport as EFAULT) ever reaches the syscall layer.
 */
export function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof WasiError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new WasiError(errnoFromHost(error), message);
  }
}

/** This platform's errno numbers -> their names ('ENOENT'), for what the native addon returns. */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** The WASI errno for a host errno number (the native addon returns -errno). */
export function errnoFromNumber(n: number): Errno {
  return HOST_ERRNO.get(ERRNO_NAMES.get(n) ?? '') ?? Errno.IO;
}

/** A native addon call's result: itself if it is not negative, else its errno as a WasiError. */
export function nativeResult(r: number, what: string): number {
  if (r < 0) throw new WasiError(errnoFromNumber(-r), `${what}: ${ERRNO_NAMES.get(-r) ?? `errno ${-r}`}`);
  return r;
}
