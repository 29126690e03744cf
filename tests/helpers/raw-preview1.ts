// Calls the preview1 imports directly with raw wasm values over a real WebAssembly.Memory,
// as a compiled guest would: pointers, u64 as bigint, structs laid out by hand. Used by the
// poll, clock/random/proc, socket and stdin tests.
import { Eventtype, Oflags, RIGHTS_ALL, Subclockflags } from '../../src/abi/constants';
import { WASI, type WASIOptions } from '../../src/wasi';

type Call = (...args: (number | bigint)[]) => number;

export interface Subscription {
  userdata: bigint | number;
  /** A clock subscription. */
  clock?: { id: number; timeout: bigint; abs?: boolean; flags?: number };
  /** An fd_read subscription. */
  read?: number;
  /** An fd_write subscription. */
  write?: number;
  /** A raw tag (for malformed input). */
  tag?: number;
}

export interface PollEvent {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
  flags: number;
}

// Memory layout: out-values, subscriptions, events, then a scratch area.
export const OUT = 64;
export const SUBS = 1024;
export const EVENTS = 8192;
export const SCRATCH = 16384;
const IOVEC = 512;

export class Raw {
  readonly wasi: WASI;
  readonly p1: Record<string, Call>;
  readonly wasix: Record<string, Call>;

  constructor(options: WASIOptions = {}, readonly memory: WebAssembly.Memory = new WebAssembly.Memory({ initial: 2 })) {
    this.wasi = new WASI({ stdout: () => {}, stderr: () => {}, ...options });
    this.wasi.setMemory(memory);
    const imports = this.wasi.getImportObject();
    this.p1 = imports.wasi_snapshot_preview1 as unknown as Record<string, Call>;
    this.wasix = imports.wasix_32v1 as unknown as Record<string, Call>;
  }

  get view(): DataView {
    return new DataView(this.memory.buffer);
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  u64(at: number): bigint {
    return this.view.getBigUint64(at, true);
  }

  /** Lays subscriptions out at SUBS and calls poll_oneoff; events come back decoded. */
  poll(subs: Subscription[], nsubs = subs.length): { errno: number; events: PollEvent[] } {
    const v = this.view;
    this.bytes.fill(0, SUBS, SUBS + subs.length * 48);
    subs.forEach((s, i) => {
      const p = SUBS + i * 48;
      v.setBigUint64(p, BigInt(s.userdata), true);
      if (s.clock) {
        v.setUint8(p + 8, s.tag ?? Eventtype.CLOCK);
        v.setUint32(p + 16, s.clock.id, true);
        v.setBigUint64(p + 24, s.clock.timeout, true);
        v.setUint16(p + 40, s.clock.flags ?? (s.clock.abs ? Subclockflags.ABSTIME : 0), true);
      } else if (s.read !== undefined) {
        v.setUint8(p + 8, s.tag ?? Eventtype.FD_READ);
        v.setUint32(p + 16, s.read, true);
      } else if (s.write !== undefined) {
        v.setUint8(p + 8, s.tag ?? Eventtype.FD_WRITE);
        v.setUint32(p + 16, s.write, true);
      } else {
        v.setUint8(p + 8, s.tag ?? 0xff);
      }
    });
    v.setUint32(OUT, 0xdeadbeef, true);
    const errno = this.p1.poll_oneoff(SUBS, EVENTS, nsubs, OUT);
    const events: PollEvent[] = [];
    if (errno === 0) {
      const n = this.u32(OUT);
      for (let i = 0; i < n; i++) {
        const p = EVENTS + i * 32;
        events.push({
          userdata: v.getBigUint64(p, true),
          error: v.getUint16(p + 8, true),
          type: v.getUint8(p + 10),
          nbytes: v.getBigUint64(p + 16, true),
          flags: v.getUint16(p + 24, true),
        });
      }
    }
    return { errno, events };
  }

  /** fd_pipe of the dup extension: [read end, write end]. */
  pipe(): [number, number] {
    const errno = this.wasix.fd_pipe(OUT, OUT + 4);
    if (errno !== 0) throw new Error(`fd_pipe: errno ${errno}`);
    return [this.u32(OUT), this.u32(OUT + 4)];
  }

  write(fd: number, data: string | Uint8Array): { errno: number; n: number } {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.bytes.set(bytes, SCRATCH);
    this.view.setUint32(IOVEC, SCRATCH, true);
    this.view.setUint32(IOVEC + 4, bytes.byteLength, true);
    const errno = this.p1.fd_write(fd, IOVEC, 1, OUT);
    return { errno, n: errno === 0 ? this.u32(OUT) : -1 };
  }

  read(fd: number, max = 4096): { errno: number; data: string } {
    this.view.setUint32(IOVEC, SCRATCH, true);
    this.view.setUint32(IOVEC + 4, max, true);
    const errno = this.p1.fd_read(fd, IOVEC, 1, OUT);
    const n = errno === 0 ? this.u32(OUT) : 0;
    return { errno, data: new TextDecoder().decode(this.bytes.slice(SCRATCH, SCRATCH + n)) };
  }

  /** path_open relative to dirfd; returns the fd or throws with the errno. */
  open(path: string, { dirfd = 3, create = false, rights = BigInt(RIGHTS_ALL) } = {}): number {
    const bytes = new TextEncoder().encode(path);
    this.bytes.set(bytes, SCRATCH);
    const errno = this.p1.path_open(dirfd, 0, SCRATCH, bytes.byteLength, create ? Oflags.CREAT : 0, rights, rights, 0, OUT);
    if (errno !== 0) throw new Error(`path_open ${path}: errno ${errno}`);
    return this.u32(OUT);
  }
}
