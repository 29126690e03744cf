// The parameter and result types of a module's exported functions, read from its binary:
// the JS API has no type reflection (Node 20), and `--invoke NAME ARGS...` must know how to
// turn each argument into a wasm value.

export type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref' | 'unknown';

export interface FunctionType {
  params: ValueType[];
  results: ValueType[];
}

const VALUE_TYPES: Record<number, ValueType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

class Reader {
  constructor(private readonly bytes: Uint8Array, public pos: number) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError('unexpected end of the module');
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
  }
  skip(n: number): void {
    this.pos += n;
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Exported function name -> its type. Functions of types it cannot read are left out. */
export function exportedFunctionTypes(bytes: Uint8Array): Map<string, FunctionType> {
  const types: (FunctionType | null)[] = [];
  const funcTypes: number[] = []; // type index of every function, imported ones first
  const out = new Map<string, FunctionType>();
  let pos = 8;
  while (pos < bytes.length) {
    const head = new Reader(bytes, pos);
    const id = head.byte();
    const size = head.u32();
    const r = new Reader(bytes, head.pos);
    pos = head.pos + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) break; // a GC proposal type: no later index can be trusted
        const vec = (): ValueType[] => Array.from({ length: r.u32() }, () => VALUE_TYPES[r.byte()] ?? 'unknown');
        const params = vec();
        types.push({ params, results: vec() });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) funcTypes.push(r.u32());
        else if (kind === 1) { r.byte(); r.limits(); }
        else if (kind === 2) r.limits();
        else if (kind === 3) r.skip(2);
        else if (kind === 4) { r.byte(); r.u32(); }
        else break;
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = r.byte();
        const index = r.u32();
        const type = kind === 0 ? types[funcTypes[index]] : undefined;
        if (type) out.set(name, type);
      }
    }
  }
  return out;
}
