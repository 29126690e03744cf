// Random sequences of descriptor operations, run through the real syscalls of a WASI instance
// and through a small reference model of POSIX descriptors, compared after every step: which fd
// numbers are open, which share a description, the shared offsets and status flags, reference
// counts, CLOEXEC, file contents, pipe contents, and how many host handles are open.
import fc from 'fast-check';
import { DescriptorFlags, Fdflags, Oflags, Whence } from '../src/abi/constants';
import { WasiError } from '../src/abi/errors';
import type { OpenFileDescription } from '../src/descriptors/description';
import type { RenumberMode } from '../src/descriptors/table';
import { Harness, errname } from './support/harness';

const MAX = 9;
const NAMES = ['a', 'b', 'c'] as const;

type Kind = 'stdin' | 'stdout' | 'dir' | 'file' | 'pipeR' | 'pipeW';
interface MDesc { kind: Kind; refs: number; offset: number; append: boolean; file?: string; pipe?: MPipe; sink?: number[] }
interface MPipe { buf: number[]; readers: number; writers: number }
interface MFd { desc: MDesc; cloexec: boolean }

type CmdOf<F> =
  | { op: 'open'; dirfd: F; name: (typeof NAMES)[number]; trunc: boolean }
  | { op: 'dup'; fd: F }
  | { op: 'dupfd'; fd: F; min: number; cloexec: number }
  | { op: 'dup2'; fd: F; to: F }
  | { op: 'renumber'; from: F; to: F }
  | { op: 'close'; fd: F }
  | { op: 'pipe' }
  | { op: 'read'; fd: F; n: number }
  | { op: 'write'; fd: F; n: number }
  | { op: 'seek'; fd: F; offset: number; whence: Whence }
  | { op: 'append'; fd: F; on: boolean }
  | { op: 'cloexec'; fd: F; on: boolean };
type Cmd = CmdOf<number>;

/**
 * An fd argument as generated: mostly "the i-th open fd" (resolved against the model just
 * before the step, so most calls hit something open), sometimes a raw number, which may be
 * free, out of range or negative.
 */
type FdRef = number | { pick: number };
const fdArb: fc.Arbitrary<FdRef> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ pick: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: MAX - 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, MAX, MAX + 1, 0x7fffffff) },
);
const cmdArb: fc.Arbitrary<CmdOf<FdRef>> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('open' as const), dirfd: fc.oneof(fc.constant(3), fdArb), name: fc.constantFrom(...NAMES), trunc: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('dup' as const), fd: fdArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dupfd' as const), fd: fdArb, min: fc.integer({ min: -1, max: MAX + 1 }), cloexec: fc.constantFrom(0, 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dup2' as const), fd: fdArb, to: fdArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renumber' as const), from: fdArb, to: fdArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('close' as const), fd: fdArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pipe' as const) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('read' as const), fd: fdArb, n: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), fd: fdArb, n: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('seek' as const), fd: fdArb, offset: fc.integer({ min: -6, max: 12 }), whence: fc.constantFrom(Whence.SET, Whence.CUR, Whence.END) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), fd: fdArb, on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cloexec' as const), fd: fdArb, on: fc.boolean() }) },
);

/** The command with every fd argument made a number, picking among the fds open in the model. */
function resolve(c: CmdOf<FdRef>, m: Model): Cmd {
  const open = [...m.fds.keys()].sort((a, b) => a - b);
  const fd = (r: FdRef): number => (typeof r === 'number' ? r : open.length === 0 ? 0 : open[r.pick % open.length]);
  const out: Record<string, unknown> = { ...c };
  for (const k of ['fd', 'dirfd', 'to', 'from'] as const) if (k in c) out[k] = fd((c as unknown as Record<string, FdRef>)[k]);
  return out as Cmd;
}

/** Bytes a write puts down: distinct per write so misplaced data shows. */
let stamp = 0;
const payload = (n: number): number[] => Array.from({ length: n }, (_, i) => (stamp * 7 + i) & 0xff);

class Model {
  fds = new Map<number, MFd>();
  files = new Map<string, number[]>();
  stdout: number[] = [];
  stderr: number[] = [];
  constructor(readonly mode: RenumberMode) {
    const desc = (kind: Kind, sink?: number[]): MDesc => ({ kind, refs: 1, offset: 0, append: false, sink });
    this.fds.set(0, { desc: desc('stdin'), cloexec: false });
    this.fds.set(1, { desc: desc('stdout', this.stdout), cloexec: false });
    this.fds.set(2, { desc: desc('stdout', this.stderr), cloexec: false });
    this.fds.set(3, { desc: desc('dir'), cloexec: false });
  }
  inRange(fd: number): boolean {
    return fd >= 0 && fd < MAX;
  }
  /** Lowest free number >= min below MAX, or null (EMFILE). */
  lowest(min = 0, also: number[] = []): number | null {
    for (let fd = Math.max(0, min); fd < MAX; fd++) if (!this.fds.has(fd) && !also.includes(fd)) return fd;
    return null;
  }
  release(d: MDesc): void {
    if (--d.refs > 0) return;
    if (d.kind === 'pipeR') d.pipe!.readers--;
    if (d.kind === 'pipeW') d.pipe!.writers--;
  }
  place(fd: number, entry: MFd): void {
    const old = this.fds.get(fd);
    this.fds.set(fd, entry);
    if (old) this.release(old.desc);
  }
  descs(): Set<MDesc> {
    return new Set([...this.fds.values()].map((e) => e.desc));
  }
}

/** What a step returned: an errno name and, on success, the values it produced. */
type Outcome = { errno: string; value?: unknown };

function expected(m: Model, c: Cmd): Outcome {
  const ok = (value?: unknown): Outcome => ({ errno: 'SUCCESS', value });
  const err = (e: string): Outcome => ({ errno: e });
  const entry = (fd: number) => m.fds.get(fd);
  switch (c.op) {
    case 'open': {
      const dir = entry(c.dirfd);
      if (!dir) return err('BADF');
      if (dir.desc.kind !== 'dir') return err('NOTDIR');
      const fd = m.lowest();
      if (fd === null) return err('MFILE');
      if (!m.files.has(c.name) || c.trunc) m.files.set(c.name, []);
      m.fds.set(fd, { desc: { kind: 'file', refs: 1, offset: 0, append: false, file: c.name }, cloexec: false });
      return ok(fd);
    }
    case 'dup': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      const fd = m.lowest();
      if (fd === null) return err('MFILE');
      e.desc.refs++;
      m.fds.set(fd, { desc: e.desc, cloexec: false });
      return ok(fd);
    }
    case 'dupfd': {
      // A bad min with a bad fd: either error is right (nothing happens either way).
      if (!m.inRange(c.min)) return err(entry(c.fd) ? 'INVAL' : 'INVAL|BADF');
      const e = entry(c.fd);
      if (!e) return err('BADF');
      const fd = m.lowest(c.min);
      if (fd === null) return err('MFILE');
      e.desc.refs++;
      m.fds.set(fd, { desc: e.desc, cloexec: c.cloexec === 1 });
      return ok(fd);
    }
    case 'dup2': {
      const e = entry(c.fd);
      if (!e || !m.inRange(c.to)) return err('BADF');
      if (c.fd === c.to) return ok(c.to);
      e.desc.refs++;
      m.place(c.to, { desc: e.desc, cloexec: false });
      return ok(c.to);
    }
    case 'renumber': {
      const e = entry(c.from);
      if (!e) return err('BADF');
      if (c.from === c.to) return ok();
      if (!entry(c.to) && (m.mode === 'strict' || !m.inRange(c.to))) return err('BADF');
      m.fds.delete(c.from);
      m.place(c.to, e);
      return ok();
    }
    case 'close': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      m.fds.delete(c.fd);
      m.release(e.desc);
      return ok();
    }
    case 'pipe': {
      const r = m.lowest();
      const w = r === null ? null : m.lowest(0, [r]);
      if (r === null || w === null) return err('MFILE');
      const pipe: MPipe = { buf: [], readers: 1, writers: 1 };
      m.fds.set(r, { desc: { kind: 'pipeR', refs: 1, offset: 0, append: false, pipe }, cloexec: false });
      m.fds.set(w, { desc: { kind: 'pipeW', refs: 1, offset: 0, append: false, pipe }, cloexec: false });
      return ok([r, w]);
    }
    case 'read': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      const d = e.desc;
      switch (d.kind) {
        case 'stdout': case 'dir': case 'pipeW': return err('BADF');
        case 'stdin': return ok([]);
        case 'file': {
          const data = m.files.get(d.file!)!.slice(d.offset, d.offset + c.n);
          if (c.n > 0) d.offset += data.length;
          return ok(data);
        }
        case 'pipeR': {
          const p = d.pipe!;
          if (c.n === 0) return ok([]);
          if (p.buf.length === 0) return p.writers > 0 ? err('AGAIN') : ok([]);
          return ok(p.buf.splice(0, c.n));
        }
      }
      throw new Error('unreachable');
    }
    case 'write': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      const d = e.desc;
      const bytes = payload(c.n);
      switch (d.kind) {
        case 'stdin': case 'dir': case 'pipeR': return err('BADF');
        case 'stdout':
          d.sink!.push(...bytes);
          return ok(c.n);
        case 'file': {
          if (c.n === 0) return ok(0);
          const content = m.files.get(d.file!)!;
          const at = d.append ? content.length : d.offset;
          while (content.length < at) content.push(0);
          content.splice(at, bytes.length, ...bytes);
          d.offset = at + bytes.length;
          return ok(c.n);
        }
        case 'pipeW': {
          if (c.n === 0) return ok(0);
          if (d.pipe!.readers === 0) return err('PIPE');
          d.pipe!.buf.push(...bytes);
          return ok(c.n);
        }
      }
      throw new Error('unreachable');
    }
    case 'seek': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      const d = e.desc;
      if (d.kind === 'dir') return err('BADF');
      if (d.kind !== 'file') return err('SPIPE');
      const base = c.whence === Whence.SET ? 0 : c.whence === Whence.CUR ? d.offset : m.files.get(d.file!)!.length;
      const target = base + c.offset;
      if (target < 0) return err('INVAL');
      d.offset = target;
      return ok(BigInt(target));
    }
    case 'append': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      e.desc.append = c.on;
      return ok();
    }
    case 'cloexec': {
      const e = entry(c.fd);
      if (!e) return err('BADF');
      e.cloexec = c.on;
      return ok();
    }
  }
}

function actual(h: Harness, c: Cmd): Outcome {
  const res = (errno: number, value?: unknown): Outcome => (errno === 0 ? { errno: 'SUCCESS', value } : { errno: errname(errno) });
  switch (c.op) {
    case 'open': {
      const r = h.tryOpen(c.name, { dirfd: c.dirfd, oflags: Oflags.CREAT | (c.trunc ? Oflags.TRUNC : 0) });
      return res(r.errno, r.fd);
    }
    case 'dup': {
      const r = h.dup(c.fd);
      return res(r.errno, r.fd);
    }
    case 'dupfd': {
      const r = h.dupfd(c.fd, c.min, c.cloexec);
      return res(r.errno, r.fd);
    }
    case 'dup2':
      // POSIX dup2 is not a preview1 or WASIX call: it is the table's own operation.
      try {
        return res(0, h.wasi.table.dup2(c.fd, c.to));
      } catch (e) {
        if (e instanceof WasiError) return res(e.errno);
        throw e;
      }
    case 'renumber':
      return res(h.p.fd_renumber(c.from, c.to));
    case 'close':
      return res(h.p.fd_close(c.fd));
    case 'pipe': {
      const r = h.pipe();
      return res(r.errno, [r.r, r.w]);
    }
    case 'read': {
      const r = h.read(c.fd, c.n);
      return res(r.errno, [...r.data]);
    }
    case 'write': {
      const r = h.write(c.fd, new Uint8Array(payload(c.n)));
      return res(r.errno, r.n);
    }
    case 'seek': {
      const r = h.seek(c.fd, c.offset, c.whence);
      return res(r.errno, r.offset);
    }
    case 'append':
      return res(h.p.fd_fdstat_set_flags(c.fd, c.on ? Fdflags.APPEND : 0));
    case 'cloexec':
      return res(h.x.fd_fdflags_set(c.fd, c.on ? DescriptorFlags.CLOEXEC : 0));
  }
}

/** Everything observable, from the instance and from the model, in the same shape. */
function observe(h: Harness, m: Model | null) {
  const fds = m ? [...m.fds.keys()].sort((a, b) => a - b) : h.fds();
  // Descriptions named by the first fd that holds them, so both sides name them alike.
  const groupOf = new Map<unknown, number>();
  const sharing: Record<number, number> = {};
  const state: Record<number, unknown> = {};
  for (const fd of fds) {
    const key = m ? m.fds.get(fd)!.desc : h.wasi.table.get(fd).description;
    if (!groupOf.has(key)) groupOf.set(key, fd);
    sharing[fd] = groupOf.get(key)!;
    if (m) {
      const e = m.fds.get(fd)!;
      state[fd] = {
        refs: e.desc.refs, cloexec: e.cloexec, append: e.desc.append,
        offset: e.desc.kind === 'file' ? BigInt(e.desc.offset) : null,
      };
    } else {
      const desc = key as OpenFileDescription;
      const isFile = desc.handle.kind === 'file';
      state[fd] = {
        refs: desc.refCount, cloexec: h.fdflags(fd).flags === DescriptorFlags.CLOEXEC,
        append: (h.fdstat(fd).flags & Fdflags.APPEND) !== 0,
        offset: isFile ? h.tell(fd).offset : null,
      };
    }
  }
  const files: Record<string, number[]> = {};
  if (m) for (const [k, v] of m.files) files[k] = [...v];
  else for (const [k, v] of Object.entries(h.root.toTree())) files[k] = [...(v as Uint8Array)];
  const openFiles = m
    ? [...m.descs()].filter((d) => d.kind === 'file').length
    : h.root.openHandles;
  return { fds, sharing, state, files, openFiles };
}

function run(cmds: CmdOf<FdRef>[], mode: RenumberMode): void {
  const h = new Harness({}, { renumber: mode, maxDescriptors: MAX });
  const m = new Model(mode);
  cmds.forEach((generated, i) => {
    const c = resolve(generated, m);
    stamp++;
    const want = expected(m, c);
    const got = actual(h, c);
    if (want.errno.split('|').includes(got.errno)) want.errno = got.errno;
    const where = `step ${i}: ${JSON.stringify(c)}`;
    expect({ where, ...got }).toEqual({ where, ...want });
    expect({ where, ...observe(h, null) }).toEqual({ where, ...observe(h, m) });
  });
  expect([...Buffer.concat(h.stdout)]).toEqual(m.stdout);
  h.wasi.close();
  expect(h.fds()).toEqual([]);
  expect(h.root.openHandles).toBe(0);
  expect(h.root.doubleCloses).toBe(0);
}

/** Every run starts with two files open (one with data), so file reads and seeks are common. */
const PRELUDE: CmdOf<FdRef>[] = [
  { op: 'open', dirfd: 3, name: 'a', trunc: false },
  { op: 'write', fd: 4, n: 8 },
  { op: 'open', dirfd: 3, name: 'b', trunc: false },
];

describe('descriptor operations against a reference model', () => {
  it.each(['strict', 'permissive'] as const)('renumber mode %s', (mode) => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 60 }), (cmds) => run([...PRELUDE, ...cmds], mode)),
      { numRuns: 250 },
    );
  });

  it('a hand-written sequence: pipes through dups and renumbers reach EOF and EPIPE', () => {
    run([
      { op: 'pipe' },
      { op: 'dup', fd: 5 },
      { op: 'write', fd: 6, n: 3 },
      { op: 'renumber', from: 5, to: 1 },
      { op: 'write', fd: 1, n: 2 },
      { op: 'read', fd: 4, n: 8 },
      { op: 'read', fd: 4, n: 8 },
      { op: 'close', fd: 1 },
      { op: 'read', fd: 4, n: 8 },
      { op: 'close', fd: 6 },
      { op: 'read', fd: 4, n: 8 },
      { op: 'pipe' },
      { op: 'close', fd: 1 },
      { op: 'write', fd: 5, n: 1 },
    ], 'strict');
  });

  it('a hand-written sequence: shared offsets and APPEND across dup, F_DUPFD and renumber', () => {
    run([
      { op: 'open', dirfd: 3, name: 'a', trunc: true },
      { op: 'write', fd: 4, n: 5 },
      { op: 'dupfd', fd: 4, min: 7, cloexec: 1 },
      { op: 'seek', fd: 7, offset: 1, whence: Whence.SET },
      { op: 'read', fd: 4, n: 2 },
      { op: 'append', fd: 7, on: true },
      { op: 'seek', fd: 4, offset: 0, whence: Whence.SET },
      { op: 'write', fd: 4, n: 2 },
      { op: 'open', dirfd: 3, name: 'a', trunc: false },
      { op: 'renumber', from: 7, to: 5 },
      { op: 'read', fd: 5, n: 3 },
      { op: 'close', fd: 4 },
      { op: 'dup2', fd: 5, to: 0 },
      { op: 'close', fd: 5 },
      { op: 'write', fd: 0, n: 1 },
      { op: 'open', dirfd: 0, name: 'b', trunc: false },
    ], 'permissive');
  });
});
