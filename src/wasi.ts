import { Filetype } from './abi/constants';
import { ProcExit } from './abi/errors';
import type { ImportObject, Preview1Imports } from './abi/imports';
import { encodeString, GuestMemory } from './abi/memory';
import { OpenDirectory } from './backends/directory-handle';
import { BytesSource, CallbackSink, consoleSink, PullSource } from './backends/stdio';
import type { DirectoryInode, StreamHandle } from './backends/types';
import { OpenFileDescription } from './descriptors/description';
import { Descriptor, DescriptorTable, type RenumberMode } from './descriptors/table';
import { rightsFor, type Context } from './syscalls/context';
import { errnoFor, isSelfGuarded, RETRY } from './syscalls/errno';
import { dupSyscalls } from './syscalls/dup';
import { fdSyscalls } from './syscalls/fd';
import { pathSyscalls } from './syscalls/path';
import { pollSyscalls } from './syscalls/poll';
import { hostClocks } from './syscalls/clock';
import { procSyscalls } from './syscalls/proc';
import { sockSyscalls } from './syscalls/sock';
import { shimDescriptor, shimDirectory } from './backends/shim/install';
import { isShimDirectory, isShimFd, type ShimDirectoryInode, type ShimFd } from './backends/shim/types';
import type { ThreadHandle } from './threads/channel';
import { ThreadKernel, type ImportModules } from './threads/kernel';
import { WASIThread } from './threads/thread-wasi';
import { checkCoreOptions, envEntries } from './options';
import type { TraceHandler } from './trace/event';
import { traceImports } from './trace/wrap';

/** Stdio may also be a browser_wasi_shim `Fd` (ConsoleStdout, OpenFile, ...): see backends/shim. */
export type OutputOption = ((chunk: Uint8Array) => void) | StreamHandle | ShimFd;
export type InputOption = Uint8Array | string | (() => Uint8Array | string | null) | StreamHandle | ShimFd;

export interface WASIOptions {
  /** node:wasi's option: only 'preview1' (the default here; node:wasi requires it). */
  version?: 'preview1';
  /** argv, program name first. */
  args?: string[];
  /** The environment: exactly these variables (`process.env` will do: undefined values are left out). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Guest path -> directory (MemoryDirectory, NodeDirectory, ..., or a browser_wasi_shim PreopenDirectory / Directory), as fds 3, 4, ... in this order. */
  preopens?: Record<string, DirectoryInode | ShimFd | ShimDirectoryInode>;
  /** fd 0: bytes, a string, a function returning the next chunk (null at the end), or a stream handle. Default: empty. */
  stdin?: InputOption;
  /** fd 1: a function given each chunk, or a stream handle. Default: the console. */
  stdout?: OutputOption;
  stderr?: OutputOption;
  /** fd_renumber onto a free number: 'strict' refuses it (EBADF, wasmtime); 'permissive' allows it. */
  renumber?: RenumberMode;
  /** Most descriptors open at once (EMFILE past it). */
  maxDescriptors?: number;
  /**
   * A program whose threads (workers) join it with `threadHandle()` / `WASI.fromThreadHandle`:
   * one descriptor table for all of them, and `wasi.thread-spawn` in the imports. See docs/threads.md.
   */
  threads?: boolean;
  /** node:wasi's option: start() returns proc_exit's code. Only true here; false needs refwasi/node. */
  returnOnExit?: boolean;
  /** Called after every WASI call with its decoded arguments, errno, results and duration (see TraceEvent). */
  trace?: TraceHandler;
}

type ImportFn = (...args: never[]) => number;
type Family = Record<string, ImportFn>;

/**
 * Wraps a syscall that throws its errnos (the cold ones) so that nothing but an errno
 * reaches the guest: errnoFor's rules, including the rerun when memory moved. The hot
 * syscalls catch for themselves at their own arity (see syscalls/errno.ts).
 */
function guard(fn: ImportFn): ImportFn {
  const f = fn as unknown as (...a: unknown[]) => number;
  return function (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, g?: unknown, h?: unknown, i?: unknown, j?: unknown): number {
    for (let attempt = 0; ; attempt++) {
      try {
        return f(a, b, c, d, e, g, h, i, j);
      } catch (err) {
        const errno = errnoFor(err, attempt);
        if (errno !== RETRY) return errno;
      }
    }
  } as ImportFn;
}

/** Guards every function of a family, except those that catch for themselves. */
function guardAll(family: Family): Family {
  const out: Family = {};
  for (const [name, fn] of Object.entries(family)) out[name] = isSelfGuarded(fn) ? fn : guard(fn);
  return out;
}

function defaultOutput(fd: 1 | 2): (chunk: Uint8Array) => void {
  const proc = (globalThis as { process?: { stdout?: { write(b: Uint8Array): void }; stderr?: { write(b: Uint8Array): void } } }).process;
  const stream = fd === 1 ? proc?.stdout : proc?.stderr;
  if (stream) return (chunk) => stream.write(chunk);
  return consoleSink(fd === 1 ? console.log : console.error);
}

/** 'inherit' (the host process's own stdio) exists only where there is a process: refwasi/node. */
function refuseInherit(option: unknown, name: string): void {
  if (option === 'inherit') {
    throw new TypeError(`${name}: 'inherit' needs the host's stdio: import { WASI } from 'refwasi/node'`);
  }
}

function inputHandle(input: Exclude<InputOption, ShimFd> | undefined): StreamHandle {
  refuseInherit(input, 'stdin');
  if (input === undefined) return new BytesSource(new Uint8Array());
  if (typeof input === 'string') return new BytesSource(encodeString(input));
  if (input instanceof Uint8Array) return new BytesSource(input);
  if (typeof input === 'function') return new PullSource(input);
  return input;
}

function outputHandle(output: Exclude<OutputOption, ShimFd> | undefined, fd: 1 | 2): StreamHandle {
  refuseInherit(output, fd === 1 ? 'stdout' : 'stderr');
  if (output === undefined) return new CallbackSink(defaultOutput(fd));
  if (typeof output === 'function') return new CallbackSink(output);
  return output;
}

/**
 * A WASI preview1 environment: one descriptor table, shared by every instance given to it
 * (the threads of one program), with the dup extension as `wasix_32v1`.
 */
export class WASI {
  readonly table: DescriptorTable;
  /** The one guest memory of this WASI object, re-pointed in place by setMemory. */
  private readonly memory = new GuestMemory();
  private readonly context: Context;
  private state: 'new' | 'running' | 'initialized' | 'ended' = 'new';
  private readonly imports: { wasi_snapshot_preview1: Family; wasix_32v1: Family; wasi?: Family };
  /** The threads' kernel, for a WASI made with `threads: true`. */
  readonly kernel: ThreadKernel | null = null;

  constructor(options: WASIOptions = {}) {
    checkCoreOptions(options);
    this.table = new DescriptorTable({ maxDescriptors: options.maxDescriptors });
    this.context = {
      mem: this.memory,
      table: this.table,
      args: (options.args ?? []).map(encodeString),
      env: envEntries(options.env).map(([k, v]) => encodeString(`${k}=${v}`)),
      renumber: options.renumber ?? 'strict',
      clocks: hostClocks,
    };
    const { stdin, stdout, stderr } = options;
    if (isShimFd(stdin)) this.table.insertAt(0, shimDescriptor(stdin, { readable: true, writable: false }));
    else this.installStdio(0, inputHandle(stdin), true, false);
    if (isShimFd(stdout)) this.table.insertAt(1, shimDescriptor(stdout, { readable: false, writable: true }));
    else this.installStdio(1, outputHandle(stdout, 1), false, true);
    if (isShimFd(stderr)) this.table.insertAt(2, shimDescriptor(stderr, { readable: false, writable: true }));
    else this.installStdio(2, outputHandle(stderr, 2), false, true);
    let fd = 3;
    for (const [path, given] of Object.entries(options.preopens ?? {})) {
      if (isShimFd(given)) {
        this.table.insertAt(fd++, shimDescriptor(given, { preopenPath: path }));
        continue;
      }
      const dir = isShimDirectory(given) ? shimDirectory(given) : given;
      const rights = rightsFor('directory', false, false);
      const desc = new OpenFileDescription(new OpenDirectory(dir), Filetype.DIRECTORY, 0, false, false);
      this.table.insertAt(fd++, new Descriptor(desc, rights.base, rights.inheriting, 0, path));
    }
    const ctx = this.context;
    this.imports = {
      wasi_snapshot_preview1: guardAll({
        ...procSyscalls(ctx), ...fdSyscalls(ctx), ...pathSyscalls(ctx), ...pollSyscalls(ctx), ...sockSyscalls(ctx),
      } as unknown as Family),
      wasix_32v1: guardAll(dupSyscalls(ctx) as unknown as Family),
    };
    if (options.trace) this.imports = traceImports(this.imports, options.trace, () => this.memory);
    // Traced first: the kernel then serves other threads' calls through the traced functions too.
    if (options.threads) this.kernel = this.startKernel();
  }

  /**
   * Threads: the kernel serves the other threads' calls with the imports as they are; this
   * thread's own calls go straight in, and then let parked calls of other threads look again
   * (this call may have fed the pipe they wait on).
   */
  private startKernel(): ThreadKernel {
    const own = this.imports as unknown as ImportModules;
    let kernel: ThreadKernel | null = null;
    own.wasi = { 'thread-spawn': (arg) => kernel!.spawn(Number(arg)) };
    kernel = new ThreadKernel(own, this.context, () => this.closeAll());
    for (const family of Object.values(own)) {
      for (const [name, fn] of Object.entries(family)) {
        family[name] = (...args) => {
          const r = fn(...args);
          if (kernel!.waiting) kernel!.retryParked();
          return r;
        };
      }
    }
    // Remote threads call the unwrapped functions: the kernel retries parked calls itself.
    return kernel!;
  }

  private closeAll(): void {
    this.state = 'ended';
    this.table.closeAll();
  }

  /**
   * A handle for one more thread (worker) of this program: structured-cloneable, for
   * postMessage or workerData; the worker calls `WASI.fromThreadHandle(handle)`. One handle
   * per thread.
   */
  threadHandle(): ThreadHandle {
    if (this.kernel === null) throw new TypeError('threadHandle() needs a WASI made with { threads: true }');
    return this.kernel.handle();
  }

  /** The WASI of one more thread of a program: the same descriptor table, files, args, env and stdio. */
  static fromThreadHandle(handle: ThreadHandle): WASIThread {
    return new WASIThread(handle);
  }

  private installStdio(fd: number, handle: StreamHandle, readable: boolean, writable: boolean): void {
    const desc = new OpenFileDescription(handle, handle.filetype, 0, readable, writable);
    const rights = rightsFor('stream', readable, writable);
    this.table.insertAt(fd, new Descriptor(desc, rights.base, rights.inheriting));
  }

  /** The imports to instantiate a module with: `wasi_snapshot_preview1` and `wasix_32v1`. */
  getImportObject(): ImportObject {
    return this.imports as unknown as ImportObject;
  }

  /**
   * The `wasi_snapshot_preview1` functions alone, under the name node:wasi and
   * browser_wasi_shim give them: embedders such as ruby.wasm's `RubyVM.instantiateModule({
   * wasip1 })` build their imports from `wasip1.wasiImport` and then call `initialize`.
   */
  get wasiImport(): Preview1Imports {
    return this.imports.wasi_snapshot_preview1 as unknown as Preview1Imports;
  }

  /** Binds the guest memory (done by start/initialize; call it yourself for instances that import memory). */
  setMemory(memory: WebAssembly.Memory): void {
    this.memory.bind(memory);
    this.kernel?.memoryReady();
  }

  private bind(instance: WebAssembly.Instance): void {
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory) this.setMemory(memory);
    else if (this.memory.memory === null) throw new TypeError('the instance exports no memory; call setMemory first');
  }

  /**
   * Runs a command's `_start`. Returns the exit code (proc_exit's, or 0 when `_start`
   * returns); a trap is rethrown. Either way every descriptor still open is closed, so no
   * host handle outlives the program.
   */
  start(instance: WebAssembly.Instance): number {
    const entry = instance.exports._start;
    if (typeof entry !== 'function') {
      throw new TypeError(instance.exports._initialize ? 'this module is a reactor: call initialize(), not start()' : 'the module exports no _start');
    }
    if (this.state !== 'new') throw new Error(`start() called on a WASI object that is already ${this.state}`);
    this.bind(instance);
    this.state = 'running';
    let code = 0;
    let failure: unknown = undefined;
    try {
      (entry as () => void)();
    } catch (e) {
      if (e instanceof ProcExit) code = e.code;
      else failure = e;
    }
    this.state = 'ended';
    try {
      this.table.closeAll();
    } catch (e) {
      failure ??= e;
    }
    if (failure !== undefined) throw failure;
    return code;
  }

  /** Runs a reactor's `_initialize` (if it has one). Descriptors stay open until `close()`. */
  initialize(instance: WebAssembly.Instance): void {
    if (typeof instance.exports._start === 'function') throw new TypeError('this module is a command: call start(), not initialize()');
    if (this.state !== 'new') throw new Error(`initialize() called on a WASI object that is already ${this.state}`);
    this.bind(instance);
    this.state = 'initialized';
    const init = instance.exports._initialize;
    if (typeof init === 'function') (init as () => void)();
  }

  /** Closes every descriptor (a reactor's end of life). */
  close(): void {
    this.state = 'ended';
    this.table.closeAll();
  }
}
