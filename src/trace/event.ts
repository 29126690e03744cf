// What the syscall trace reports: one event per WASI call, made as the call returns.

/** A decoded value: numbers for fds, counts and flags, bigints for u64s, strings for paths. */
export type TraceValue = number | bigint | string | null | readonly TraceValue[] | { readonly [key: string]: TraceValue };

/** One argument or one result, by its ABI name, with the text the trace line shows for it. */
export interface TraceField {
  readonly name: string;
  readonly value: TraceValue;
  /** As shown: `3`, `"out.json"`, `CREAT|TRUNC`, `[4096, 512]`, `...` for rights. */
  readonly text: string;
  /** Shown only when it says something: a flag argument that is 0 is left out of the line. */
  readonly optional?: boolean;
}

export interface TraceEvent {
  /** The import module: `wasi_snapshot_preview1`, or `wasix_32v1` for the dup extension. */
  readonly module: string;
  /** The function: `path_open`, `fd_write`, ... */
  readonly name: string;
  /** The arguments exactly as the guest passed them (i32 as numbers, i64 as bigints). */
  readonly rawArgs: readonly (number | bigint)[];
  /** The arguments decoded, read from guest memory before the call (paths, iovec lengths...). */
  readonly args: readonly TraceField[];
  /** The errno the call returned (0 for success); null when it did not return (proc_exit, a trap). */
  readonly errno: number | null;
  /** The errno's name (`EBADF`), null for success and for a call that did not return. */
  readonly errnoName: string | null;
  /** What a successful call wrote back to the guest (the new fd, bytes written...), read after it. */
  readonly results: readonly TraceField[];
  /** Time spent in the call, in milliseconds (decoding and reporting are not counted). */
  readonly durationMs: number;
  /** proc_exit's code, when the call was proc_exit. */
  readonly exitCode?: number;
  /** What the call threw, if anything (proc_exit's unwinding excepted): a trap. */
  readonly thrown?: unknown;
}

/** Called once per WASI call, synchronously, after it returned (or threw). */
export type TraceHandler = (event: TraceEvent) => void;
