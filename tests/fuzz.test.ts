// The seeded fuzz of every import (tests/helpers/fuzz-driver.ts): a fixed set of seeds, over
// MemoryDirectory and over NodeDirectory (a temp dir), more than 100,000 calls in all. Each
// call must give back nothing but an errno, write nothing outside its outputs, leave every
// descriptor it does not name alone, and fail with EINVAL / EBADF / EFAULT / EILSEQ where the
// documented order of checks says so; each run must end with every host handle closed once.
// `npm run fuzz` is the long run (scripts/fuzz.ts).
import { Errno } from '../src/abi/constants';
import { KNOWN_IMPORTS, WASIX_IMPORTS, runFuzz, type FuzzReport } from './helpers/fuzz-driver';

const MEMORY_SEEDS = [1, 2, 3, 4];
const MEMORY_CALLS = 20_000;
const NODE_SEEDS = [101, 102];
const NODE_CALLS = 10_000;

const reports: FuzzReport[] = [];

describe('fuzz: every import with random arguments', () => {
  it.each(MEMORY_SEEDS)('MemoryDirectory, seed %i: only errnos, memory and unnamed fds untouched, errnos in order', (seed) => {
    const r = runFuzz({ seed, calls: MEMORY_CALLS, backend: 'memory' });
    reports.push(r);
    expect(r.problems).toEqual([]);
    expect(r.calls).toBe(MEMORY_CALLS);
  });

  it.each(NODE_SEEDS)('NodeDirectory, seed %i: the same, on the real filesystem, nothing outside touched', (seed) => {
    const r = runFuzz({ seed, calls: NODE_CALLS, backend: 'node' });
    reports.push(r);
    expect(r.problems).toEqual([]);
    expect(r.calls).toBe(NODE_CALLS);
  });

  it('covered every import of both modules, with successes and every predicted kind of failure', () => {
    const total = reports.reduce((n, r) => n + r.calls, 0);
    expect(total).toBeGreaterThanOrEqual(100_000);
    const per: Record<string, number> = {};
    const ok: Record<string, number> = {};
    const errnos: Record<string, number> = {};
    const predicted = { inval: 0, badf: 0, fault: 0, ilseq: 0 };
    for (const r of reports) {
      for (const [k, v] of Object.entries(r.perImport)) per[k] = (per[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.successes)) ok[k] = (ok[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.errnos)) errnos[k] = (errnos[k] ?? 0) + v;
      for (const k of Object.keys(predicted) as (keyof typeof predicted)[]) predicted[k] += r.predicted[k];
    }
    const all = KNOWN_IMPORTS.map((n) => `${WASIX_IMPORTS.includes(n) ? 'wasix_32v1' : 'wasi_snapshot_preview1'}.${n}`);
    expect(all.filter((name) => !((per[name] ?? 0) > 500))).toEqual([]);
    // Calls that cannot succeed here: proc_exit unwinds, proc_raise has no signals, and no
    // socket is ever in these tables. Everything else must have succeeded at least once.
    const cannot = ['proc_exit', 'proc_raise', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'];
    const never = all.filter((n) => !cannot.includes(n.split('.')[1]) && !(ok[n] > 0));
    expect(never).toEqual([]);
    // The documented order of checks was put to the test many times over.
    expect(predicted.inval).toBeGreaterThan(3000);
    expect(predicted.badf).toBeGreaterThan(10000);
    expect(predicted.fault).toBeGreaterThan(10000);
    expect(predicted.ilseq).toBeGreaterThan(100);
    // And the limits were met: EMFILE (small tables), ENOSPC (small budgets), ENFILE (host fd cap).
    expect(errnos[Errno[Errno.MFILE]]).toBeGreaterThan(0);
    expect(errnos[Errno[Errno.NFILE]]).toBeGreaterThan(0);
  });
});

describe('the fuzz checks catch a broken import', () => {
  const calls = 3000;
  const broken = (tamper: Parameters<typeof runFuzz>[0]['tamper']) => runFuzz({ seed: 7, calls, backend: 'memory', tamper, maxProblems: 5 }).problems.join('\n');

  it('an exception out of an import', () => {
    expect(broken((m, n, fn) => (n === 'fd_read' ? () => { throw new TypeError('boom'); } : fn))).toMatch(/fd_read.*threw TypeError: boom/);
  });

  it('a value that is not an errno', () => {
    expect(broken((m, n, fn) => (n === 'fd_tell' ? (...a) => (fn(...a), 200) : fn))).toMatch(/fd_tell.*returned 200, not an errno/);
  });

  it('a byte written outside the outputs', () => {
    expect(broken((m, n, fn, wasi, memory) => (n === 'fd_fdstat_get' ? (...a) => {
      const r = fn(...a);
      if (r === 0) {
        const mem = new Uint8Array(memory.buffer);
        const at = (Number(a[1]) >>> 0) + 24;
        if (at < mem.byteLength) mem[at] ^= 0xff;
      }
      return r;
    } : fn))).toMatch(/fd_fdstat_get.*wrote byte \d+ outside its outputs/);
  });

  it('a descriptor the call does not name, closed', () => {
    expect(broken((m, n, fn, wasi) => (n === 'sched_yield' ? () => {
      const fds = wasi.table.fds();
      if (fds.length > 0) wasi.table.close(fds[fds.length - 1]);
      return 0;
    } : fn))).toMatch(/sched_yield.*changed fd \d+, which it does not name/);
  });

  it('an out-of-bounds pointer answered with something else than EFAULT', () => {
    expect(broken((m, n, fn) => (n === 'random_get' ? (...a) => { const r = fn(...a); return r === Errno.FAULT ? Errno.INVAL : r; } : fn)))
      .toMatch(/random_get.*gave INVAL, expected FAULT/);
  });

  it('a bad enum value answered with something else than EINVAL', () => {
    expect(broken((m, n, fn) => (n === 'clock_time_get' ? (...a) => { const r = fn(...a); return r === Errno.INVAL ? Errno.BADF : r; } : fn)))
      .toMatch(/clock_time_get.*gave BADF, expected INVAL/);
  });

  it('a host handle left open at the end', () => {
    expect(broken((m, n, fn, wasi, memory) => (n === 'path_open' ? (...a) => {
      const r = fn(...a);
      // One reference too many on what was opened: its description, and handle, never close.
      if (r === 0) wasi.table.get(new DataView(memory.buffer).getUint32(Number(a[8]) >>> 0, true)).description.retain();
      return r;
    } : fn))).toMatch(/memory handles left open/);
  });
});
