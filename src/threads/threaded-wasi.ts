import { ProcExit, WasiTrap } from '../abi/errors';
import { MemoryDirectory, type Tree } from '../backends/memory';
import { envEntries } from '../options';
import { CHANNEL, threadClient, type ThreadHandle } from './channel';
import { inputConfig, outputConfig, preopenConfig, type KernelConfig } from './kernel-config';
import type { ProgramEnd } from './kernel';
import { RemoteKernel } from './remote-kernel';

type Family = Record<string, (...args: never[]) => number>;

/** The options a threaded WASI takes (refwasi/node's, less what cannot cross threads). */
export interface ThreadedOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  preopens?: Record<string, unknown>;
  stdin?: unknown;
  stdout?: unknown;
  stderr?: unknown;
  renumber?: 'strict' | 'permissive';
  maxDescriptors?: number;
}

/**
 * The main thread's side of a threaded program in Node: its kernel runs in a worker (see
 * RemoteKernel), and this thread's own instance calls it through a channel like every
 * other thread, so it may block in the guest (a Rust thread joining its workers) while
 * they go on calling.
 */
export class ThreadedProgram {
  readonly kernel: RemoteKernel;
  readonly imports: Record<string, Family>;
  private readonly own: ThreadHandle;
  private readonly given: Map<string, MemoryDirectory>;

  constructor(options: ThreadedOptions, modules: Record<string, string[]>) {
    const config: KernelConfig = {
      args: options.args ?? [],
      env: Object.fromEntries(envEntries(options.env)),
      preopens: Object.entries(options.preopens ?? {}).map(([p, d]) => [p, preopenConfig(p, d)]),
      stdin: inputConfig(options.stdin),
      stdout: outputConfig(options.stdout, 'stdout'),
      stderr: outputConfig(options.stderr, 'stderr'),
      renumber: options.renumber,
      maxDescriptors: options.maxDescriptors,
    };
    const callback = (v: unknown) => (typeof v === 'function' ? (v as (chunk: Uint8Array) => void) : undefined);
    // The MemoryDirectory objects given: the kernel works on copies, and they get its trees back at the end.
    const given = this.given = new Map(Object.entries(options.preopens ?? {}).filter((e): e is [string, MemoryDirectory] => e[1] instanceof MemoryDirectory));
    this.kernel = new RemoteKernel(config, modules, { 1: callback(options.stdout), 2: callback(options.stderr) }, (trees) => {
      for (const [path, tree] of trees) given.get(path)?.replaceTree(tree);
    });
    this.own = this.kernel.handle();
    this.imports = threadClient(
      this.own,
      CHANNEL,
      (code) => { throw new ProcExit(code); },
      (message) => { throw new WasiTrap(message); },
    ) as unknown as Record<string, Family>;
  }

  /** The MemoryDirectory preopens' trees: the kernel's while the program runs, then the ones it left. */
  async preopenTrees(): Promise<Record<string, Tree>> {
    const live = await this.kernel.trees();
    if (live !== null) return Object.fromEntries(live);
    return Object.fromEntries([...this.given].map(([path, dir]) => [path, dir.toTree()]));
  }

  /** Runs `entry` (the program's `_start`), then ends the program: its exit code. */
  run(entry: () => void): number {
    let end: ProgramEnd = { kind: 'exit', code: 0 };
    let failure: unknown;
    try {
      entry();
    } catch (e) {
      if (e instanceof ProcExit) end = { kind: 'exit', code: e.code };
      else {
        failure = e;
        end = { kind: 'trap', message: String((e as Error)?.message ?? e) };
      }
    }
    this.kernel.finish(end);
    if (failure !== undefined) throw failure;
    return end.kind === 'exit' ? end.code : 134;
  }
}
