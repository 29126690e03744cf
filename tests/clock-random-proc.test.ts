// Clocks (values, resolution, the browser fallbacks), random_get, proc_exit, proc_raise and
// sched_yield, through the imports and through small wasm programs.
import { Clockid, Errno } from '../src/abi/constants';
import { ProcExit, WasiTrap } from '../src/abi/errors';
import { WASI } from '../src/wasi';
import { Clocks, defaultHostTime, type HostTime } from '../src/syscalls/clock';
import { OUT, Raw, SCRATCH } from './helpers/raw-preview1';
import { exitCommand, op, PROC_EXIT, SCHED_YIELD, wasmModule } from './helpers/tiny-wasm';

const ALL_CLOCKS = [Clockid.REALTIME, Clockid.MONOTONIC, Clockid.PROCESS_CPUTIME_ID, Clockid.THREAD_CPUTIME_ID];

function timeGet(raw: Raw, id: number): { errno: number; value: bigint } {
  raw.view.setBigUint64(OUT, 0n, true);
  const errno = raw.p1.clock_time_get(id, 1n, OUT);
  return { errno, value: raw.u64(OUT) };
}

function resGet(raw: Raw, id: number): { errno: number; value: bigint } {
  raw.view.setBigUint64(OUT, 0n, true);
  const errno = raw.p1.clock_res_get(id, OUT);
  return { errno, value: raw.u64(OUT) };
}

function burn(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
}

describe('clock_time_get / clock_res_get', () => {
  const raw = new Raw();

  it('reads all four clocks; an unknown id is EINVAL; a bad pointer is EFAULT', () => {
    for (const id of ALL_CLOCKS) expect(timeGet(raw, id).errno).toBe(Errno.SUCCESS);
    expect(timeGet(raw, 4).errno).toBe(Errno.INVAL);
    expect(resGet(raw, 99).errno).toBe(Errno.INVAL);
    expect(raw.p1.clock_time_get(Clockid.MONOTONIC, 0n, raw.memory.buffer.byteLength - 4)).toBe(Errno.FAULT);
    expect(raw.p1.clock_res_get(Clockid.MONOTONIC, -1)).toBe(Errno.FAULT);
  });

  it('honest resolutions in Node: nanoseconds for hrtime-based clocks, microseconds for CPU time', () => {
    const ns = process.platform === 'win32' ? 100n : 1n;
    expect(resGet(raw, Clockid.REALTIME)).toEqual({ errno: 0, value: ns });
    expect(resGet(raw, Clockid.MONOTONIC)).toEqual({ errno: 0, value: ns });
    expect(resGet(raw, Clockid.PROCESS_CPUTIME_ID)).toEqual({ errno: 0, value: 1000n });
    expect(resGet(raw, Clockid.THREAD_CPUTIME_ID)).toEqual({ errno: 0, value: 1000n });
  });

  it('the monotonic clock has nanosecond values and never goes back', () => {
    let last = timeGet(raw, Clockid.MONOTONIC).value;
    let subMicro = false;
    for (let i = 0; i < 2000; i++) {
      const t = timeGet(raw, Clockid.MONOTONIC).value;
      expect(t).toBeGreaterThanOrEqual(last);
      if (t % 1000n !== 0n) subMicro = true;
      last = t;
    }
    expect(subMicro).toBe(true);
  });

  it('the wall clock agrees with Date.now() and has finer steps than a millisecond', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const t = timeGet(raw, Clockid.REALTIME).value;
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    // Within the slack the clock allows itself before re-anchoring (2 ms each side).
    expect(t).toBeGreaterThanOrEqual(before - 2_000_000n);
    expect(t).toBeLessThanOrEqual(after + 2_000_000n);
    const values = new Set<bigint>();
    for (let i = 0; i < 200; i++) values.add(timeGet(raw, Clockid.REALTIME).value % 1_000_000n);
    expect(values.size).toBeGreaterThan(1);
  });

  it('the CPU-time clocks advance with computation', () => {
    const p0 = timeGet(raw, Clockid.PROCESS_CPUTIME_ID).value;
    const t0 = timeGet(raw, Clockid.THREAD_CPUTIME_ID).value;
    burn(30);
    expect(timeGet(raw, Clockid.PROCESS_CPUTIME_ID).value).toBeGreaterThan(p0);
    expect(timeGet(raw, Clockid.THREAD_CPUTIME_ID).value).toBeGreaterThan(t0);
  });

  it('the thread clock uses process.threadCpuUsage where the host has it', () => {
    const host: HostTime = { ...defaultHostTime(), threadCpuUsage: () => ({ user: 1500, system: 500 }) };
    const clocks = new Clocks(host);
    expect(clocks.now(Clockid.THREAD_CPUTIME_ID)).toBe(2_000_000n);
    expect(clocks.resolution(Clockid.THREAD_CPUTIME_ID)).toBe(1000n);
  });
});

describe('clocks without Node (what a browser has)', () => {
  /** A fake browser: performance.now() in 0.1 ms steps, advanced by hand; no process. */
  function fakeBrowser(stepMs = 0.1) {
    let now = 1000;
    let wall = 1_700_000_000_000;
    const host: HostTime = {
      performanceNow: () => {
        now += stepMs; // every reading moves on one step
        return Math.round(now / stepMs) * stepMs;
      },
      timeOrigin: wall - now,
      dateNow: () => Math.floor(wall + now - 1000),
      blocking: false,
    };
    return { host, jumpWall: (ms: number) => (wall += ms) };
  }

  it('reports the measured granularity of performance.now() as the resolution', () => {
    const clocks = new Clocks(fakeBrowser(0.1).host);
    expect(clocks.resolution(Clockid.MONOTONIC)).toBe(100_000n);
    expect(clocks.resolution(Clockid.REALTIME)).toBe(100_000n);
    expect(clocks.resolution(Clockid.PROCESS_CPUTIME_ID)).toBe(100_000n);
    expect(new Clocks(fakeBrowser(0.005).host).resolution(Clockid.MONOTONIC)).toBe(5000n);
  });

  it('CPU time is the time not spent waiting in refwasi', () => {
    const clocks = new Clocks(fakeBrowser(0.1).host);
    const cpu0 = clocks.now(Clockid.PROCESS_CPUTIME_ID);
    const mono0 = clocks.now(Clockid.MONOTONIC);
    clocks.sleep(50_000_000n); // spins (blocking: false), but counts as waiting
    const slept = clocks.now(Clockid.MONOTONIC) - mono0;
    const used = clocks.now(Clockid.PROCESS_CPUTIME_ID) - cpu0;
    expect(slept).toBeGreaterThanOrEqual(50_000_000n);
    expect(used).toBeGreaterThan(0n);
    expect(used).toBeLessThan(1_000_000n);
    expect(clocks.now(Clockid.THREAD_CPUTIME_ID)).toBeGreaterThanOrEqual(clocks.now(Clockid.PROCESS_CPUTIME_ID) - 1_000_000n);
  });

  it('the wall clock follows a step of the system clock', () => {
    const fake = fakeBrowser(0.1);
    const clocks = new Clocks(fake.host);
    const before = clocks.now(Clockid.REALTIME);
    fake.jumpWall(3_600_000);
    const after = clocks.now(Clockid.REALTIME);
    expect(after - before).toBeGreaterThan(3_599_000_000_000n);
    expect(after - before).toBeLessThan(3_601_000_000_000n);
  });
});

describe('random_get', () => {
  afterEach(() => jest.restoreAllMocks());

  it('fills any size through Web Crypto calls of at most 64 KiB', () => {
    const raw = new Raw({}, new WebAssembly.Memory({ initial: 20 }));
    const spy = jest.spyOn(crypto, 'getRandomValues');
    const len = 1_000_000;
    expect(raw.p1.random_get(SCRATCH, len)).toBe(Errno.SUCCESS);
    expect(spy.mock.calls.length).toBe(Math.ceil(len / 65536));
    for (const [arg] of spy.mock.calls) expect((arg as Uint8Array).byteLength).toBeLessThanOrEqual(65536);
    const filled = raw.bytes.subarray(SCRATCH, SCRATCH + len);
    for (let at = 0; at < len; at += 4096) expect(filled.subarray(at, at + 4096).some((b) => b !== 0)).toBe(true);
  });

  it('fills shared memory too (getRandomValues refuses shared views)', () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 4, shared: true });
    const raw = new Raw({}, memory);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(raw.p1.random_get(SCRATCH, 100_000)).toBe(Errno.SUCCESS);
    expect(raw.bytes.subarray(SCRATCH + 90_000, SCRATCH + 100_000).some((b) => b !== 0)).toBe(true);
  });

  it('zero bytes is fine; a buffer past the end of memory is EFAULT with nothing written', () => {
    const raw = new Raw();
    expect(raw.p1.random_get(SCRATCH, 0)).toBe(Errno.SUCCESS);
    const end = raw.memory.buffer.byteLength;
    raw.bytes.fill(0, end - 100);
    expect(raw.p1.random_get(end - 100, 101)).toBe(Errno.FAULT);
    expect(raw.bytes.subarray(end - 100).every((b) => b === 0)).toBe(true);
  });
});

describe('proc_exit, proc_raise, sched_yield', () => {
  async function run(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
    const wasi = new WASI({ stdout: () => {}, stderr: () => {} });
    const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject() as WebAssembly.Imports);
    return wasi.start(instance);
  }

  it.each([0, 1, 7, 125])('proc_exit(%i) is the exit code start() returns', async (code) => {
    expect(await run(exitCommand(code))).toBe(code);
  });

  it.each([126, 255, 256, -1])('proc_exit(%i) is outside WASI\'s 0..125: a trap, as in wasmtime', async (code) => {
    const status = code >>> 0;
    const outcome = run(exitCommand(code));
    await expect(outcome).rejects.toBeInstanceOf(WasiTrap);
    await expect(outcome).rejects.toThrow(`proc_exit(${status}): exit status outside of [0, 126)`);
  });

  it('a _start that returns is exit code 0', async () => {
    expect(await run(wasmModule({ funcs: [{ name: '_start', body: [] }] }))).toBe(0);
  });

  it('proc_exit in a reactor export unwinds to its caller as ProcExit', async () => {
    const wasi = new WASI();
    const bytes = wasmModule({
      imports: [PROC_EXIT],
      funcs: [{ name: '_initialize', body: [] }, { name: 'quit', body: [...op.i32(9), ...op.call(0)] }],
    });
    const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    let thrown: unknown;
    try {
      (instance.exports.quit as () => void)();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProcExit);
    expect((thrown as ProcExit).code).toBe(9);
  });

  it('proc_raise: NOTSUP for every signal (wasmtime), EINVAL for a number that is no signal', () => {
    const raw = new Raw();
    for (let sig = 0; sig <= 30; sig++) expect(raw.p1.proc_raise(sig)).toBe(Errno.NOTSUP);
    expect(raw.p1.proc_raise(31)).toBe(Errno.INVAL);
    expect(raw.p1.proc_raise(-1)).toBe(Errno.INVAL);
  });

  it('sched_yield succeeds, from a program too', async () => {
    expect(new Raw().p1.sched_yield()).toBe(Errno.SUCCESS);
    // _start: proc_exit(sched_yield() + 40)
    const bytes = wasmModule({
      imports: [PROC_EXIT, SCHED_YIELD],
      funcs: [{ name: '_start', body: [...op.call(1), ...op.i32(40), ...op.i32Add, ...op.call(0)] }],
    });
    expect(await run(bytes)).toBe(40);
  });

  it('args and environ are written whole, non-ASCII included', () => {
    const raw = new Raw({ args: ['prog', 'ünï', '日本'], env: { LANG: 'é=1' } });
    expect(raw.p1.args_sizes_get(OUT, OUT + 4)).toBe(0);
    expect([raw.u32(OUT), raw.u32(OUT + 4)]).toEqual([3, 5 + 6 + 7]);
    expect(raw.p1.args_get(SCRATCH, SCRATCH + 64)).toBe(0);
    const strings = raw.bytes.slice(SCRATCH + 64, SCRATCH + 64 + 18);
    expect(new TextDecoder().decode(strings)).toBe('prog\0ünï\0日本\0');
    expect(raw.p1.environ_get(SCRATCH, SCRATCH + 64)).toBe(0);
    expect(new TextDecoder().decode(raw.bytes.slice(SCRATCH + 64, SCRATCH + 64 + 10))).toBe('LANG=é=1\0');
  });
});
