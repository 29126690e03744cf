// `refwasi run --invoke NAME WASM ARGS...`: ARGS become the function's parameters and its
// results are printed, as `wasmtime run --invoke` does.
import type { FunctionType, ValueType } from './signature';

/** An argument that does not fit its parameter, or a function refwasi cannot call from JS. */
export class InvokeError extends Error {}

const INTEGER = /^[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)$/;

function float(text: string): number | null {
  const t = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

function integer(text: string, bits: 32 | 64): bigint | null {
  if (!INTEGER.test(text)) return null;
  const negative = text.startsWith('-');
  const magnitude = BigInt(text.replace(/^[+-]/, ''));
  const v = negative ? -magnitude : magnitude;
  // Signed values, and hexadecimal bit patterns up to the unsigned maximum.
  if (v < -(1n << BigInt(bits - 1)) || v >= 1n << BigInt(bits)) return null;
  return BigInt.asIntN(bits, v);
}

function param(type: ValueType, text: string, name: string): number | bigint {
  let v: number | bigint | null = null;
  if (type === 'i32') {
    const i = integer(text, 32);
    v = i === null ? null : Number(i);
  } else if (type === 'i64') v = integer(text, 64);
  else if (type === 'f32') {
    const f = float(text);
    v = f === null ? null : Math.fround(f);
  } else if (type === 'f64') v = float(text);
  else throw new InvokeError(`cannot pass a ${type} parameter to \`${name}\``);
  if (v === null) throw new InvokeError(`'${text}' is not a valid ${type} for \`${name}\``);
  return v;
}

/** ARGS as the function's parameters: too few is an error; more are left for the program's argv only. */
export function invokeParams(type: FunctionType, args: readonly string[], name: string): (number | bigint)[] {
  if (args.length < type.params.length) throw new InvokeError(`not enough arguments for \`${name}\`: it takes ${type.params.length}, got ${args.length}`);
  return type.params.map((t, i) => param(t, args[i], name));
}

/** The shortest decimal that reads back as the same f32, as Rust prints an f32. */
function f32Text(v: number): string {
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function resultText(type: ValueType, v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf';
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  if (type === 'f32' && typeof v === 'number') return f32Text(v);
  if (v === null) return `<null ${type}>`;
  if (typeof v === 'function' || typeof v === 'object') return `<${type}>`;
  return String(v);
}

/** What the call returned, as wasmtime prints it (one value after another, then a newline). */
export function formatResults(type: FunctionType, returned: unknown): string {
  const values = type.results.length === 1 ? [returned] : type.results.length === 0 ? [] : (returned as unknown[]);
  return `${values.map((v, i) => resultText(type.results[i], v)).join(' ')}\n`;
}
