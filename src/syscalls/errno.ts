import { Errno } from '../abi/constants';
import { errnoOf, MemoryMoved, ProcExit, WasiTrap } from '../abi/errors';

/** How many times one syscall is rerun because a host callback grew (moved) guest memory. */
export const MEMORY_MOVED_RETRIES = 16;
/** What `errnoFor` returns when the syscall should run again over the new memory. */
export const RETRY = -1;

/**
 * The errno a syscall returns for what it threw: nothing but an errno reaches the guest,
 * except proc_exit's unwinding and traps, which are rethrown. A syscall whose memory moved
 * under it before it consumed anything (a host callback grew a non-shared memory) is run
 * again: RETRY, up to MEMORY_MOVED_RETRIES times, then EFAULT.
 *
 * Every import catches with this itself, in a loop of its own exact arity, so V8 can inline
 * the whole syscall into one function (a shared variadic wrapper would stay a real call).
 */
export function errnoFor(err: unknown, attempt: number): number {
  if (err instanceof ProcExit || err instanceof WasiTrap) throw err;
  if (err instanceof MemoryMoved) return attempt < MEMORY_MOVED_RETRIES ? RETRY : Errno.FAULT;
  return errnoOf(err);
}

const SELF_GUARDED = new WeakSet<object>();

/** Marks an import that catches for itself (with errnoFor), so the import builder leaves it unwrapped. */
export function selfGuarded<F extends (...args: never[]) => number>(fn: F): F {
  SELF_GUARDED.add(fn);
  return fn;
}

export function isSelfGuarded(fn: object): boolean {
  return SELF_GUARDED.has(fn);
}
