// Descriptor operations as a guest makes them: raw preview1 calls (fd numbers, pointers into
// one memory) with their results read back from that memory. The same code runs in the
// workers of tests/threads-property.test.ts (over the program's shared memory) and on the
// main thread for the single-threaded replay, so both make byte-for-byte the same calls.
import { Fdflags, Oflags, Rights, Whence } from '../../src/abi/constants';

export const FILE_NAMES = ['a', 'b', 'c'] as const;
export type FileName = (typeof FILE_NAMES)[number];

export type Op =
  | { op: 'open'; name: FileName; create: boolean; excl: boolean; trunc: boolean; read: boolean; write: boolean; append: boolean }
  | { op: 'dup'; fd: number }
  | { op: 'renumber'; from: number; to: number }
  | { op: 'close'; fd: number }
  | { op: 'write'; fd: number; data: string }
  | { op: 'seek'; fd: number; offset: number; whence: Whence }
  | { op: 'tell'; fd: number }
  | { op: 'read'; fd: number; n: number }
  | { op: 'fdstat'; fd: number }
  | { op: 'setflags'; fd: number; append: boolean };

/** What a call gave back: its errno and, on success, what it wrote to memory. */
export interface Outcome {
  errno: number;
  /** A new fd (open, dup), a byte count (read, write) or an offset (seek, tell). */
  value?: number;
  /** The bytes a read got, as latin1 text. */
  bytes?: string;
  /** fd_fdstat_get's filetype and status flags. */
  filetype?: number;
  flags?: number;
}

/** A call exactly as made, to find it again in the kernel's trace. */
export interface RawCall {
  name: string;
  args: (number | bigint)[];
}

/** Where each piece lives in one thread's scratch region of the memory. */
const PATH = 0;
const IOVEC = 32;
const OUT = 48;
const STAT = 64;
const DATA = 128;
/** Bytes of memory each thread's scratch region takes. */
export const SCRATCH_BYTES = 512;

type Call = (...args: (number | bigint)[]) => number;
export type Imports = Record<string, Record<string, Call>>;

/** Runs one op through `imports` with its pointers in [base, base + SCRATCH_BYTES). */
export function runOp(imports: Imports, memory: WebAssembly.Memory, base: number, op: Op): { outcome: Outcome; call: RawCall } {
  const p1 = imports.wasi_snapshot_preview1;
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  let call: RawCall = { name: '', args: [] };
  const invoke = (module: Record<string, Call>, name: string, ...args: (number | bigint)[]): number => {
    call = { name, args };
    return module[name](...args);
  };
  const u32 = () => view().getUint32(base + OUT, true);
  const u64 = () => Number(view().getBigUint64(base + OUT, true));
  /** What a successful call wrote back, read once it returned. */
  let results: () => Omit<Outcome, 'errno'> = () => ({});
  let errno: number;
  switch (op.op) {
    case 'open': {
      const path = new TextEncoder().encode(op.name);
      bytes().set(path, base + PATH);
      const oflags = (op.create ? Oflags.CREAT : 0) | (op.excl ? Oflags.EXCL : 0) | (op.trunc ? Oflags.TRUNC : 0);
      const rights = BigInt((op.read ? Rights.FD_READ : 0) | (op.write ? Rights.FD_WRITE : 0));
      errno = invoke(p1, 'path_open', 3, 0, base + PATH, path.length, oflags, rights, 0n, op.append ? Fdflags.APPEND : 0, base + OUT);
      results = () => ({ value: u32() });
      break;
    }
    case 'dup':
      errno = invoke(imports.wasix_32v1, 'fd_dup', op.fd, base + OUT);
      results = () => ({ value: u32() });
      break;
    case 'renumber':
      errno = invoke(p1, 'fd_renumber', op.from, op.to);
      break;
    case 'close':
      errno = invoke(p1, 'fd_close', op.fd);
      break;
    case 'write': {
      const data = new TextEncoder().encode(op.data);
      bytes().set(data, base + DATA);
      view().setUint32(base + IOVEC, base + DATA, true);
      view().setUint32(base + IOVEC + 4, data.length, true);
      errno = invoke(p1, 'fd_write', op.fd, base + IOVEC, 1, base + OUT);
      results = () => ({ value: u32() });
      break;
    }
    case 'read':
      view().setUint32(base + IOVEC, base + DATA, true);
      view().setUint32(base + IOVEC + 4, op.n, true);
      errno = invoke(p1, 'fd_read', op.fd, base + IOVEC, 1, base + OUT);
      results = () => ({ value: u32(), bytes: Buffer.from(bytes().slice(base + DATA, base + DATA + u32())).toString('latin1') });
      break;
    case 'seek':
      errno = invoke(p1, 'fd_seek', op.fd, BigInt(op.offset), op.whence, base + OUT);
      results = () => ({ value: u64() });
      break;
    case 'tell':
      errno = invoke(p1, 'fd_tell', op.fd, base + OUT);
      results = () => ({ value: u64() });
      break;
    case 'fdstat':
      errno = invoke(p1, 'fd_fdstat_get', op.fd, base + STAT);
      results = () => ({ filetype: view().getUint8(base + STAT), flags: view().getUint16(base + STAT + 2, true) });
      break;
    case 'setflags':
      errno = invoke(p1, 'fd_fdstat_set_flags', op.fd, op.append ? Fdflags.APPEND : 0);
      break;
  }
  return { outcome: errno === 0 ? { errno, ...results() } : { errno }, call };
}
