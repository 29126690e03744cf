import { Errno } from './constants';
import { WasiError } from './errors';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
const EFAULT = () => new WasiError(Errno.FAULT);

/**
 * The one bounds-checked view of guest memory. Views are re-made whenever the memory's
 * buffer changes (memory.grow detaches an ArrayBuffer and replaces a SharedArrayBuffer),
 * so callers must not keep a view across a call that can grow memory (a host callback).
 */
export class GuestMemory {
  private buffer: ArrayBufferLike | undefined;
  private view!: DataView;
  private bytes!: Uint8Array;
  readonly shared: boolean;

  constructor(readonly memory: WebAssembly.Memory) {
    this.shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    this.refresh();
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer || this.bytes.byteLength !== buffer.byteLength) {
      this.buffer = buffer;
      this.view = new DataView(buffer);
      this.bytes = new Uint8Array(buffer);
    }
  }

  /**
   * Checks that [ptr, ptr+len) lies inside memory; returns the current byte view.
   * Every syscall comes through here, so it avoids two slow reads: memory.buffer (a host
   * getter) is read again only when the view we hold cannot answer, since growing a
   * non-shared memory detaches the old buffer (the view reads as empty) and growing a shared
   * one leaves it valid but short; and V8 inlines a Uint8Array's `length`, not its
   * `byteLength` (about 20 ns a read on Node 20).
   */
  check(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    if (this.bytes.length === 0 || ptr + len > this.bytes.length) this.refresh();
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
    if (typeof v === 'bigint') {
      this.view.setBigUint64(ptr >>> 0, v, true);
    } else {
      // A safe integer (offsets, sizes, rights) in two halves, without making a BigInt.
      this.view.setUint32(ptr >>> 0, v >>> 0, true);
      this.view.setUint32((ptr >>> 0) + 4, Math.floor(v / 0x100000000) >>> 0, true);
    }
  }

  /** Reads a UTF-8 string; invalid UTF-8 is EILSEQ. Shared memory is copied first (TextDecoder refuses shared views). */
  string(ptr: number, len: number): string {
    const view = this.slice(ptr, len);
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
   * Decodes an iovec array into live views of guest memory. Everything is checked before
   * the caller touches a byte, so a bad iovec fails the call without a partial transfer.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    count >>>= 0;
    const bytes = this.check(ptr, count * 8);
    const out: Uint8Array[] = new Array(count);
    let base = ptr >>> 0;
    for (let i = 0; i < count; i++, base += 8) {
      const buf = this.view.getUint32(base, true);
      const len = this.view.getUint32(base + 4, true);
      if (buf + len > bytes.length) this.check(buf, len); // a shared memory may have grown since
      out[i] = this.bytes.subarray(buf, buf + len);
    }
    return out;
  }
}

export function encodeString(s: string): Uint8Array {
  return encoder.encode(s);
}
