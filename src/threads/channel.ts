/**
 * The channel between one guest thread and the kernel (the WASI object that owns the
 * program's descriptor table). One SharedArrayBuffer per thread:
 *
 *   i32[STATE]   IDLE -> REQUEST (thread) -> DONE (kernel) -> REQUEST (thread) ...
 *   i32[FN]      which import: an index into the handle's `names`
 *   i32[ARGC]    how many arguments
 *   i32[BIGMASK] bit i set: argument i is an i64 (in big[i]); otherwise it is in num[i]
 *   i32[RESULT]  the errno, or the exit code (status EXIT), or the trap message's length (TRAP)
 *   i32[STATUS]  RETURN | EXIT | TRAP
 *   i32[CLOSED]  1 once the program has ended: no call is served any more
 *
 * A call writes its arguments, stores REQUEST and notifies; the kernel (waiting with
 * Atomics.waitAsync, so its own thread stays free) runs the very import function its own
 * instance would call, over the one shared memory, stores DONE and notifies. Everything in
 * this file's `threadClient` is self-contained: it also runs as the source of the worker
 * that `runThreads` starts (see worker-source.ts), where no module can be imported.
 */
export const CHANNEL = {
  STATE: 0,
  FN: 1,
  ARGC: 2,
  BIGMASK: 3,
  RESULT: 4,
  STATUS: 5,
  CLOSED: 6,
  IDLE: 0,
  REQUEST: 1,
  DONE: 2,
  RETURN: 0,
  EXIT: 1,
  TRAP: 2,
  /** Byte offsets of the argument arrays and of the trap message. */
  NUM_AT: 64,
  BIG_AT: 160,
  TEXT_AT: 256,
  MAX_ARGS: 12,
  BYTES: 1024,
} as const;

/** What a worker needs to join the program: structured-cloneable (postMessage, workerData). */
export interface ThreadHandle {
  readonly kind: 'refwasi-thread';
  /** This thread's channel (see CHANNEL). */
  readonly channel: SharedArrayBuffer;
  /** The import functions, by module: the channel's FN is an index into the flat list. */
  readonly modules: Record<string, string[]>;
}

export function isThreadHandle(v: unknown): v is ThreadHandle {
  return typeof v === 'object' && v !== null && (v as ThreadHandle).kind === 'refwasi-thread'
    && (v as ThreadHandle).channel instanceof SharedArrayBuffer;
}

type ImportFn = (...args: (number | bigint)[]) => number;

/**
 * The import object of a thread that is not the kernel's: every function forwards its raw
 * arguments over the channel and blocks (Atomics.wait) until the kernel answers.
 * `onExit(code)` and `onTrap(message)` must throw: they unwind the thread's instance.
 * Self-contained on purpose (no references outside the function): see the file comment.
 */
export function threadClient(
  handle: ThreadHandle,
  layout: typeof CHANNEL,
  onExit: (code: number) => never,
  onTrap: (message: string) => never,
): Record<string, Record<string, ImportFn>> {
  const L = layout;
  const i32 = new Int32Array(handle.channel);
  const num = new Float64Array(handle.channel, L.NUM_AT, L.MAX_ARGS);
  const big = new BigInt64Array(handle.channel, L.BIG_AT, L.MAX_ARGS);
  const text = new Uint8Array(handle.channel, L.TEXT_AT, L.BYTES - L.TEXT_AT);

  function call(index: number, args: ArrayLike<number | bigint>): number {
    if (Atomics.load(i32, L.CLOSED) === 1) finish(L.EXIT);
    const argc = args.length > L.MAX_ARGS ? L.MAX_ARGS : args.length;
    let mask = 0;
    for (let i = 0; i < argc; i++) {
      const a = args[i];
      if (typeof a === 'bigint') {
        big[i] = a;
        mask |= 1 << i;
      } else {
        num[i] = a;
      }
    }
    i32[L.FN] = index;
    i32[L.ARGC] = argc;
    i32[L.BIGMASK] = mask;
    Atomics.store(i32, L.STATE, L.REQUEST);
    Atomics.notify(i32, L.STATE);
    while (Atomics.load(i32, L.STATE) === L.REQUEST) Atomics.wait(i32, L.STATE, L.REQUEST);
    const status = i32[L.STATUS];
    if (status !== L.RETURN) finish(status);
    return i32[L.RESULT];
  }

  function finish(status: number): never {
    if (status === L.TRAP) {
      const n = i32[L.RESULT];
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = text[i];
      return onTrap(new TextDecoder().decode(bytes));
    }
    return onExit(i32[L.RESULT]);
  }

  const out: Record<string, Record<string, ImportFn>> = {};
  let index = 0;
  for (const module of Object.keys(handle.modules)) {
    const fns: Record<string, ImportFn> = {};
    for (const name of handle.modules[module]) {
      const i = index++;
      fns[name] = function (...args: (number | bigint)[]): number {
        return call(i, args);
      };
    }
    out[module] = fns;
  }
  return out;
}
