// Building blocks of the per-function decoders: each turns a raw argument (or what it points
// to in guest memory) into a TraceField. Nothing here may throw: a bad pointer is shown as
// the pointer, and the call itself decides the errno.
import { Errno } from '../abi/constants';
import type { GuestMemory } from '../abi/memory';
import type { TraceField, TraceValue } from './event';

/** Guest memory as the trace sees it: null before a memory is bound. */
export type MemorySource = () => GuestMemory | null;

/** Strings longer than this are cut in the trace line (the event's value stays whole). */
const MAX_SHOWN = 200;

export function read<T>(memory: MemorySource, f: (m: GuestMemory) => T): T | undefined {
  const m = memory();
  if (m === null) return undefined;
  try {
    return f(m);
  } catch {
    return undefined;
  }
}

export function hex(ptr: number): string {
  return `0x${(ptr >>> 0).toString(16)}`;
}

export function field(name: string, value: TraceValue, text: string, optional = false): TraceField {
  return optional ? { name, value, text, optional } : { name, value, text };
}

export function u32(name: string, v: number | bigint): TraceField {
  const n = Number(v) >>> 0;
  return field(name, n, String(n));
}

export function u64(name: string, v: number | bigint): TraceField {
  const n = BigInt.asUintN(64, BigInt(v));
  return field(name, n, String(n));
}

export function s64(name: string, v: number | bigint): TraceField {
  const n = BigInt.asIntN(64, BigInt(v));
  return field(name, n, String(n));
}

export const fd = u32;

/** A C-like string literal, cut at MAX_SHOWN characters. */
export function quote(s: string): string {
  const shown = s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN) : s;
  return JSON.stringify(shown) + (shown.length < s.length ? '...' : '');
}

/** A string in guest memory, or its pointer if it cannot be read (or is not UTF-8). */
export function str(name: string, memory: MemorySource, ptr: number, len: number): TraceField {
  const s = read(memory, (m) => m.string(ptr, len >>> 0));
  if (s !== undefined) return field(name, s, quote(s));
  const bytes = read(memory, (m) => m.copyOut(ptr, Math.min(len >>> 0, MAX_SHOWN)));
  if (bytes !== undefined) {
    const text = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    return field(name, text, `"${text}"`);
  }
  return field(name, ptr >>> 0, hex(ptr));
}

/** Flags by name, `A|B`; unknown bits as a number after them; 0 as `0`. */
export function flags(name: string, v: number | bigint, names: Record<string, number | string>, optional = false): TraceField {
  let rest = Number(BigInt.asUintN(32, BigInt(v)));
  const value = rest;
  const parts: string[] = [];
  for (const [key, bit] of Object.entries(names)) {
    if (typeof bit !== 'number' || bit === 0) continue;
    if ((rest & bit) === bit) {
      parts.push(key);
      rest &= ~bit;
    }
  }
  if (rest !== 0 || parts.length === 0) parts.push(rest === 0 ? '0' : hex(rest));
  return field(name, value, parts.join('|'), optional && value === 0);
}

/** One value of an enum by name (`MONOTONIC`, `SET`), or the number if it has none. */
export function choice(name: string, v: number, names: Record<string | number, string | number>): TraceField {
  const known = names[v];
  return field(name, v, typeof known === 'string' ? known : String(v));
}

/** Rights: the value is kept, the line shows `...` (30 bits of names would drown it). */
export function rights(name: string, v: number | bigint): TraceField {
  return field(name, BigInt.asUintN(64, BigInt(v)), '...');
}

/** An iovec array shown as its buffers' lengths: `[4096, 512]`. */
export function iovecs(name: string, memory: MemorySource, ptr: number, count: number): TraceField {
  const lengths = read(memory, (m) => {
    const n = count >>> 0;
    m.check(ptr, n * 8);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(m.u32((ptr >>> 0) + i * 8 + 4));
    return out;
  });
  if (lengths === undefined) return field(name, ptr >>> 0, `${hex(ptr)}[${count >>> 0}]`);
  return field(name, lengths, `[${lengths.join(', ')}]`);
}

/** A u32, u64 or u16 the call wrote at ptr. */
export function outU32(name: string, memory: MemorySource, ptr: number): TraceField {
  const v = read(memory, (m) => m.u32(ptr));
  return v === undefined ? field(name, null, '?') : field(name, v, String(v));
}

export function outU64(name: string, memory: MemorySource, ptr: number): TraceField {
  const v = read(memory, (m) => m.u64(ptr));
  return v === undefined ? field(name, null, '?') : field(name, v, String(v));
}

export function errnoName(errno: number): string {
  const name = Errno[errno] as string | undefined;
  return name === undefined ? `errno ${errno}` : `E${name}`;
}
