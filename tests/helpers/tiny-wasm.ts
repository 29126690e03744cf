// A tiny wasm encoder: enough to make commands and reactors of a few instructions (calls to
// imports, constants, globals) for tests that need exact control over a module's exports.

export const I32 = 0x7f;
export const I64 = 0x7e;

export interface ImportFunc { module: string; name: string; params: number[]; results: number[] }
export interface Func { name?: string; params?: number[]; results?: number[]; body: number[] }

export interface ModuleSpec {
  imports?: ImportFunc[];
  funcs?: Func[];
  /** Exported as "memory" unless false. */
  memory?: { pages: number; export?: boolean; import?: boolean; shared?: boolean; max?: number };
  /** Mutable i32 globals, exported under their names. */
  globals?: { name: string; value: number }[];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Instructions. */
export const op = {
  i32: (v: number) => [0x41, ...sleb(v)],
  call: (index: number) => [0x10, ...uleb(index)],
  drop: [0x1a],
  globalGet: (i: number) => [0x23, ...uleb(i)],
  globalSet: (i: number) => [0x24, ...uleb(i)],
  localGet: (i: number) => [0x20, ...uleb(i)],
  i32Add: [0x6a],
};

/** Encodes a module. Functions are numbered imports first, then `funcs` in order. */
export function wasmModule(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const imports = spec.imports ?? [];
  const funcs = spec.funcs ?? [];
  const types: number[][] = [];
  const typeIndex = (params: number[], results: number[]): number => {
    const t = [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
    const key = t.join(',');
    const at = types.findIndex((x) => x.join(',') === key);
    if (at >= 0) return at;
    types.push(t);
    return types.length - 1;
  };
  const importEntries = imports.map((imp) => [...str(imp.module), ...str(imp.name), 0x00, ...uleb(typeIndex(imp.params, imp.results))]);
  const mem = spec.memory ?? { pages: 1 };
  const limits = (m: NonNullable<ModuleSpec['memory']>) =>
    m.max !== undefined ? [m.shared ? 0x03 : 0x01, ...uleb(m.pages), ...uleb(m.max)] : [0x00, ...uleb(m.pages)];
  if (mem.import) importEntries.push([...str('env'), ...str('memory'), 0x02, ...limits(mem)]);
  const funcTypes = funcs.map((f) => uleb(typeIndex(f.params ?? [], f.results ?? [])));
  const exportsList: number[][] = [];
  funcs.forEach((f, i) => {
    if (f.name) exportsList.push([...str(f.name), 0x00, ...uleb(imports.length + i)]);
  });
  if (!mem.import && mem.export !== false) exportsList.push([...str('memory'), 0x02, 0x00]);
  const globals = spec.globals ?? [];
  globals.forEach((g, i) => exportsList.push([...str(g.name), 0x03, ...uleb(i)]));
  const code = funcs.map((f) => {
    const body = [0x00, ...f.body, 0x0b]; // no locals
    return [...uleb(body.length), ...body];
  });

  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...(importEntries.length ? section(2, vec(importEntries)) : []),
    ...section(3, vec(funcTypes)),
    ...(mem.import ? [] : section(5, vec([limits(mem)]))),
    ...(globals.length ? section(6, vec(globals.map((g) => [I32, 0x01, ...op.i32(g.value), 0x0b]))) : []),
    ...section(7, vec(exportsList)),
    ...section(10, vec(code)),
  ];
  return new Uint8Array(bytes);
}

export const PROC_EXIT: ImportFunc = { module: 'wasi_snapshot_preview1', name: 'proc_exit', params: [I32], results: [] };
export const SCHED_YIELD: ImportFunc = { module: 'wasi_snapshot_preview1', name: 'sched_yield', params: [], results: [I32] };

/** A command whose _start calls proc_exit(code). */
export function exitCommand(code: number): Uint8Array<ArrayBuffer> {
  return wasmModule({
    imports: [PROC_EXIT],
    funcs: [{ name: '_start', body: [...op.i32(code), ...op.call(0)] }],
  });
}
