import { Errno, Fdflags } from '../abi/constants';
import { errnoOf, ProcExit, WasiTrap } from '../abi/errors';
import type { Context } from '../syscalls/context';
import { PollCall } from '../syscalls/poll';
import { CHANNEL as L, type ThreadHandle } from './channel';

type ImportFn = (...args: (number | bigint)[]) => number;
export type ImportModules = Record<string, Record<string, ImportFn>>;

/**
 * An option (of refwasi/node's WASI) that keeps a threaded program's kernel in the thread
 * that makes the WASI: for runners whose own thread runs no guest code (runThreads).
 */
export const KERNEL_IN_THREAD = Symbol('refwasi.kernelInThread');

/** How the program ended, for whoever runs its threads. */
export type ProgramEnd = { kind: 'exit'; code: number } | { kind: 'trap'; message: string };

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<unknown> | string };
/** ES2024's Atomics.waitAsync (Node 16+, Chromium 87+), typed here for an ES2022 lib. */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Longest pause between two looks at a stream that something outside may feed (ms). */
const MAX_SLICE_MS = 10;

/** One thread's end of the conversation (see channel.ts for the layout). */
class Channel {
  readonly i32: Int32Array;
  readonly num: Float64Array;
  readonly big: BigInt64Array;
  readonly text: Uint8Array;
  /** A call that could not finish yet: run again when something may have changed. */
  parked: (() => boolean) | null = null;
  timer: ReturnType<typeof setTimeout> | null = null;
  released = false;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.num = new Float64Array(sab, L.NUM_AT, L.MAX_ARGS);
    this.big = new BigInt64Array(sab, L.BIG_AT, L.MAX_ARGS);
    this.text = new Uint8Array(sab, L.TEXT_AT, L.BYTES - L.TEXT_AT);
  }

  reply(status: number, value: number): void {
    this.i32[L.STATUS] = status;
    this.i32[L.RESULT] = value;
    Atomics.store(this.i32, L.STATE, L.DONE);
    Atomics.notify(this.i32, L.STATE);
  }

  replyTrap(message: string): void {
    const bytes = new TextEncoder().encode(message).subarray(0, this.text.length);
    this.text.set(bytes);
    this.reply(L.TRAP, bytes.length);
  }
}

/**
 * The kernel of a threaded program: the one WASI object whose descriptor table, files and
 * stdio every thread uses. Its own thread calls the imports directly; every other thread
 * calls through a channel, and the kernel runs the same import function over the one
 * shared memory. So each syscall is atomic with respect to every other (they all run on
 * this thread, one at a time), and an fd means the same thing in every thread.
 *
 * The kernel never blocks for another thread: a call that would wait (a read of an empty
 * pipe or terminal, a poll_oneoff with nothing ready) is parked and run again when another
 * call may have changed things, when a stream says input came (readStreamsWithoutBlocking)
 * or when its time comes, while the caller alone stays blocked.
 * The kernel's thread answers from its event loop (Atomics.waitAsync), so it must not be
 * blocked itself for long: `runThreads` keeps it free by running every guest thread,
 * `_start` included, in a worker.
 */
export class ThreadKernel {
  private readonly names: string[] = [];
  private readonly fns: ImportFn[] = [];
  private readonly modules: Record<string, string[]> = {};
  private readonly channels = new Set<Channel>();
  /** The channels whose call is parked: only these are looked at again after a call. */
  private readonly parkedChannels = new Set<Channel>();
  private nextTid = 1;
  private ended: ProgramEnd | null = null;
  private readonly endListeners: ((end: ProgramEnd) => void)[] = [];
  /** Starts a thread: set by whoever runs the program's threads (runThreads). */
  spawner: ((tid: number, startArg: number) => void) | null = null;

  constructor(
    imports: ImportModules,
    private readonly ctx: Context,
    /** Closes every descriptor: called once, when the program ends. */
    private readonly closeAll: () => void,
  ) {
    for (const [module, fns] of Object.entries(imports)) {
      this.modules[module] = Object.keys(fns);
      for (const [name, fn] of Object.entries(fns)) {
        this.names.push(name);
        this.fns.push(fn);
      }
    }
  }

  /** wasi-threads' `thread-spawn`: a thread id (1 ..= 0x1FFFFFFF) or a negative errno. */
  spawn(startArg: number): number {
    if (this.ended !== null || this.spawner === null) return -Errno.NOTSUP;
    if (this.nextTid > 0x1fffffff) return -Errno.AGAIN;
    const tid = this.nextTid++;
    try {
      this.spawner(tid, startArg);
    } catch {
      return -Errno.AGAIN;
    }
    return tid;
  }

  /** A new thread's way in: its own channel, served from now on. */
  handle(): ThreadHandle {
    const sab = new SharedArrayBuffer(L.BYTES);
    this.attach(sab);
    return { kind: 'refwasi-thread', channel: sab, modules: this.modules };
  }

  /** The import names a handle carries (a kernel in another thread makes handles with them). */
  get importNames(): Record<string, string[]> {
    return this.modules;
  }

  /** Serves a channel made elsewhere (by the thread that gave out its handle). */
  attach(sab: SharedArrayBuffer): void {
    if (this.ended !== null) throw new Error('the program has ended');
    const ch = new Channel(sab);
    this.channels.add(ch);
    void this.serve(ch);
  }

  /**
   * False until the program's memory is bound: calls that come before it (a kernel in its own
   * worker hears of the memory by message) wait for it.
   */
  private memoryBound = false;

  memoryReady(): void {
    this.memoryBound = true;
    this.retryParked();
  }

  /**
   * For a kernel whose own thread runs no guest code (runThreads, the kernel worker of
   * `threads: true`): a stream that would block this thread while it waits on the host (host
   * stdin) reads without blocking from now on, and says when it may be readable. Its reads
   * then park like a pipe's, and a thread waiting on it holds up no other thread's calls.
   */
  readStreamsWithoutBlocking(): void {
    for (const fd of this.ctx.table.fds()) {
      const h = this.ctx.table.get(fd).handle;
      if (h.kind === 'stream') h.readWithoutBlocking?.(() => this.retryParked());
    }
  }

  /** Stops serving a thread that is gone (its worker exited). */
  release(handle: ThreadHandle): void {
    for (const ch of this.channels) {
      if (ch.sab === handle.channel) this.drop(ch);
    }
  }

  onEnd(listener: (end: ProgramEnd) => void): void {
    if (this.ended !== null) listener(this.ended);
    else this.endListeners.push(listener);
  }

  get end(): ProgramEnd | null {
    return this.ended;
  }

  /**
   * Ends the program (proc_exit or a trap in any thread, or `_start` returning): every
   * thread still waiting on a call is answered "exit" so it unwinds, no call is served any
   * more, and every descriptor is closed, once.
   */
  finish(end: ProgramEnd): void {
    if (this.ended !== null) return;
    this.ended = end;
    for (const ch of this.channels) {
      Atomics.store(ch.i32, L.CLOSED, 1);
      if (ch.parked !== null) ch.reply(L.EXIT, end.kind === 'exit' ? end.code : 134);
      this.drop(ch);
    }
    let failure: unknown;
    try {
      this.closeAll();
    } catch (e) {
      failure = e;
    }
    for (const l of this.endListeners.splice(0)) l(end);
    if (failure !== undefined) throw failure;
  }

  private drop(ch: Channel): void {
    ch.released = true;
    this.unpark(ch);
    this.channels.delete(ch);
    // Wakes the serving loop so that it sees the channel is gone.
    Atomics.notify(ch.i32, L.STATE);
  }

  private async serve(ch: Channel): Promise<void> {
    while (!ch.released) {
      const state = Atomics.load(ch.i32, L.STATE);
      if (state === L.REQUEST && ch.parked === null) {
        this.dispatch(ch);
        this.retryParked(ch);
        continue;
      }
      const w = waitAsync(ch.i32, L.STATE, state);
      if (w.async) await w.value;
    }
  }

  private dispatch(ch: Channel): void {
    const index = ch.i32[L.FN];
    const argc = ch.i32[L.ARGC];
    const mask = ch.i32[L.BIGMASK];
    const args: (number | bigint)[] = [];
    for (let i = 0; i < argc; i++) args.push(mask & (1 << i) ? ch.big[i] : ch.num[i]);
    const name = this.names[index];
    const attempt = name === 'poll_oneoff' ? this.pollAttempt(ch, args as number[]) : this.callAttempt(ch, index, name, args);
    // Before the memory is bound nothing can run: the call waits for it.
    const run = (): boolean => this.memoryBound && attempt();
    if (!run()) {
      ch.parked = run;
      this.parkedChannels.add(ch);
    }
  }

  /** One try at an ordinary call: true once it is answered, false if it must wait (a read with nothing to read). */
  private callAttempt(ch: Channel, index: number, name: string, args: (number | bigint)[]): () => boolean {
    return () => {
      const result = this.call(ch, index, args);
      if (result === null) return true;
      if (result === Errno.AGAIN && name === 'fd_read' && this.mayWait(args[0] as number)) return false;
      ch.reply(L.RETURN, result);
      return true;
    };
  }

  /** Runs one import; null if it ended the thread's call some other way (exit, trap). */
  private call(ch: Channel, index: number, args: (number | bigint)[]): number | null {
    const fn = this.fns[index];
    if (fn === undefined) {
      ch.reply(L.RETURN, Errno.NOSYS);
      return null;
    }
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof ProcExit) {
        ch.reply(L.EXIT, e.code);
        this.finish({ kind: 'exit', code: e.code });
      } else if (e instanceof WasiTrap) {
        ch.replyTrap(e.message);
        this.finish({ kind: 'trap', message: e.message });
      } else {
        ch.reply(L.RETURN, errnoOf(e));
      }
      return null;
    }
  }

  /** A read of `fd` that found nothing may wait: a stream, opened without NONBLOCK. */
  private mayWait(fd: number): boolean {
    if (!this.ctx.table.has(fd)) return false;
    const d = this.ctx.table.get(fd);
    return d.handle.kind === 'stream' && (d.description.flags & Fdflags.NONBLOCK) === 0;
  }

  /** One try at a poll_oneoff: decoded on the first try (its deadlines count from then), looked at again on each. */
  private pollAttempt(ch: Channel, args: number[]): () => boolean {
    let call: PollCall | null = null;
    let sliceMs = 0.05;
    return () => {
      let wait;
      try {
        call ??= new PollCall(this.ctx, args[0], args[1], args[2], args[3]);
        wait = call.step(true);
      } catch (e) {
        ch.reply(L.RETURN, errnoOf(e));
        return true;
      }
      if (wait === null) {
        ch.reply(L.RETURN, Errno.SUCCESS);
        return true;
      }
      let ms = wait.ns === null ? null : Number(wait.ns) / 1e6;
      if (wait.external) {
        if (ms === null || sliceMs < ms) ms = sliceMs;
        sliceMs = Math.min(sliceMs * 2, MAX_SLICE_MS);
      }
      this.arm(ch, ms);
      return false;
    };
  }

  /** Runs the channel's parked call again after `ms` (null: only when another call may have changed things). */
  private arm(ch: Channel, ms: number | null): void {
    if (ch.timer !== null) clearTimeout(ch.timer);
    ch.timer = null;
    if (ms === null) return;
    ch.timer = setTimeout(() => {
      ch.timer = null;
      if (ch.parked !== null && ch.parked()) this.unpark(ch);
    }, Math.max(0, ms));
  }

  private unpark(ch: Channel): void {
    ch.parked = null;
    this.parkedChannels.delete(ch);
    if (ch.timer !== null) clearTimeout(ch.timer);
    ch.timer = null;
  }

  /** True while some thread waits in a parked call. */
  get waiting(): boolean {
    return this.parkedChannels.size > 0;
  }

  /** Another call just ran: every parked call may be able to finish now. */
  retryParked(except: Channel | null = null): void {
    for (const ch of this.parkedChannels) {
      if (ch === except || ch.parked === null) continue;
      if (ch.parked()) this.unpark(ch);
    }
  }
}
