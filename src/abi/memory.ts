import { Errno } from './constants';
import { WasiError } from './errors';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const EFAULT = () => new WasiError(Errno.FAULT);
/** Paths and names up to this many bytes are decoded without TextDecoder when they are ASCII. */
const SHORT_STRING = 256;
const EMPTY = new Uint8Array(0);

/**
 * The one bounds-checked view of guest memory, one per WASI object. `bytes` and `view` are
 * plain fields so the hot syscalls read them without a call: they are re-made in place
 * whenever the memory's buffer changes (memory.grow detaches a non-shared ArrayBuffer, so the
 * old view reads as empty; a shared one stays valid but short), and re-pointed by `bind` when
 * another memory is given. Callers must not keep a view across a call that can grow memory (a
 * host callback). Until a memory is bound every access is EFAULT.
 */
export class GuestMemory {
  memory: WebAssembly.Memory | null = null;
  /** Short ASCII strings decoded lately: a program opens and stats the same paths again and again. */
  private readonly recent = new RecentStrings();
  private buffer: ArrayBufferLike | undefined = undefined;
  view: DataView = new DataView(new ArrayBuffer(0));
  bytes: Uint8Array = EMPTY;
  shared = false;

  constructor(memory?: WebAssembly.Memory) {
    if (memory) this.bind(memory);
  }

  /** Points this object at `memory` (the same object keeps serving every import function). */
  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.buffer = undefined;
    this.refresh();
  }

  /** Re-reads memory.buffer (a host getter): only when the views held cannot answer. */
  refresh(): void {
    const memory = this.memory;
    if (memory === null) return;
    const buffer = memory.buffer;
    if (buffer !== this.buffer || this.bytes.length !== buffer.byteLength) {
      this.buffer = buffer;
      this.view = new DataView(buffer);
      this.bytes = new Uint8Array(buffer);
    }
  }

  /**
   * Checks that [ptr, ptr+len) lies inside memory; returns the current byte view. V8 inlines
   * a Uint8Array's `length`, not its `byteLength` (about 20 ns a read on Node 20).
   */
  check(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    if (ptr + len > this.bytes.length || this.bytes.length === 0) this.refresh();
    if (len < 0 || ptr + len > this.bytes.length) throw EFAULT();
    return this.bytes;
  }

  /** A live view of guest bytes [ptr, ptr+len): writes through it reach the guest. */
  slice(ptr: number, len: number): Uint8Array {
    const bytes = this.check(ptr, len);
    return bytes.subarray(ptr >>> 0, (ptr >>> 0) + len);
  }

  u8(ptr: number): number { this.check(ptr, 1); return this.view.getUint8(ptr >>> 0); }
  u16(ptr: number): number { this.check(ptr, 2); return this.view.getUint16(ptr >>> 0, true); }
  u32(ptr: number): number { this.check(ptr, 4); return this.view.getUint32(ptr >>> 0, true); }
  u64(ptr: number): bigint { this.check(ptr, 8); return this.view.getBigUint64(ptr >>> 0, true); }

  setU8(ptr: number, v: number): void { this.check(ptr, 1); this.view.setUint8(ptr >>> 0, v); }
  setU16(ptr: number, v: number): void { this.check(ptr, 2); this.view.setUint16(ptr >>> 0, v, true); }
  setU32(ptr: number, v: number): void { this.check(ptr, 4); this.view.setUint32(ptr >>> 0, v, true); }
  setU64(ptr: number, v: bigint | number): void {
    this.check(ptr, 8);
    if (typeof v === 'bigint') this.view.setBigUint64(ptr >>> 0, v, true);
    else storeU64(this.view, ptr >>> 0, v);
  }

  /**
   * Reads a UTF-8 string; invalid UTF-8 is EILSEQ. A short ASCII string (most paths) is built
   * from its char codes, which costs a fraction of a TextDecoder call; anything else goes
   * through TextDecoder, shared memory copied first (TextDecoder refuses shared views).
   */
  string(ptr: number, len: number): string {
    const bytes = this.check(ptr, len);
    ptr >>>= 0;
    if (len <= SHORT_STRING) {
      let ascii = true;
      let hash = len;
      for (let i = ptr; i < ptr + len; i++) {
        const b = bytes[i];
        if (b >= 0x80) { ascii = false; break; }
        hash = (Math.imul(hash, 31) + b) | 0;
      }
      if (ascii) return this.recent.get(bytes, ptr, len, hash);
    }
    const view = bytes.subarray(ptr, ptr + len);
    try {
      return decoder.decode(this.shared ? view.slice() : view);
    } catch {
      throw new WasiError(Errno.ILSEQ);
    }
  }

  /** Copies bytes out of the guest into a fresh array. */
  copyOut(ptr: number, len: number): Uint8Array {
    return this.slice(ptr, len).slice();
  }

  /** Writes bytes into the guest (bounds-checked as a whole before anything is written). */
  write(ptr: number, data: Uint8Array): void {
    const bytes = this.check(ptr, data.byteLength);
    bytes.set(data, ptr >>> 0);
  }

  /**
   * Checks an iovec array and every buffer it names, before the caller touches a byte, so a
   * bad iovec fails the call without a partial transfer. Returns the total length (the
   * caller then walks the array itself: no array of views is made).
   */
  checkIovecs(ptr: number, count: number): number {
    count >>>= 0;
    let bytes = this.check(ptr, count * 8);
    const view = this.view;
    let total = 0;
    for (let i = 0, base = ptr >>> 0; i < count; i++, base += 8) {
      const buf = view.getUint32(base, true);
      const len = view.getUint32(base + 4, true);
      if (buf + len > bytes.length) bytes = this.check(buf, len); // a shared memory may have grown since
      total += len;
    }
    return total;
  }

  /** Decodes an iovec array into live views of guest memory (checked as checkIovecs does). */
  iovecs(ptr: number, count: number): Uint8Array[] {
    count >>>= 0;
    this.checkIovecs(ptr, count);
    const out: Uint8Array[] = new Array(count);
    for (let i = 0, base = ptr >>> 0; i < count; i++, base += 8) {
      const buf = this.view.getUint32(base, true);
      out[i] = this.bytes.subarray(buf, buf + this.view.getUint32(base + 4, true));
    }
    return out;
  }
}

const RECENT_SLOTS = 64;

/**
 * A small direct-mapped cache from the bytes of short ASCII strings to the strings. A hit
 * costs a byte comparison and gives back the very same string, whose hash V8 has already
 * computed, so the Map lookup of a directory entry is cheap too; a miss builds the string
 * from its char codes (cheaper than TextDecoder for a path).
 */
class RecentStrings {
  private readonly keys: (Uint8Array | null)[] = new Array(RECENT_SLOTS).fill(null);
  private readonly values: string[] = new Array(RECENT_SLOTS).fill('');
  private readonly codes: number[] = [];

  get(bytes: Uint8Array, at: number, len: number, hash: number): string {
    const slot = hash & (RECENT_SLOTS - 1);
    const key = this.keys[slot];
    if (key !== null && key.length === len) {
      let k = 0;
      while (k < len && key[k] === bytes[at + k]) k++;
      if (k === len) return this.values[slot];
    }
    const codes = this.codes;
    codes.length = len;
    for (let k = 0; k < len; k++) codes[k] = bytes[at + k];
    const s = String.fromCharCode.apply(null, codes);
    this.keys[slot] = bytes.slice(at, at + len);
    this.values[slot] = s;
    return s;
  }
}

/** A safe integer (offsets, sizes, rights) stored as a u64 in two halves, without making a BigInt. */
export function storeU64(view: DataView, at: number, v: number): void {
  view.setUint32(at, v >>> 0, true);
  view.setUint32(at + 4, v > 0xffffffff ? Math.floor(v / 0x100000000) >>> 0 : 0, true);
}

export function encodeString(s: string): Uint8Array {
  return encoder.encode(s);
}
