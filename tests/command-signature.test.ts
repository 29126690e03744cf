// `--invoke` reads its function's type from the module's binary (Node has no type reflection):
// function indices count imported functions first, and other imports must be skipped right.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportedFunctionTypes } from '../src/command/signature';
import { formatResults, invokeParams, InvokeError } from '../src/command/invoke';
import { I32, I64, PROC_EXIT, SCHED_YIELD, op, wasmModule } from './helpers/tiny-wasm';

describe('exportedFunctionTypes', () => {
  it('counts imported functions before defined ones, past an imported memory', () => {
    const bytes = wasmModule({
      imports: [PROC_EXIT, SCHED_YIELD],
      memory: { pages: 1, import: true, shared: true, max: 2 },
      funcs: [
        { name: 'a', params: [I64], results: [I32], body: op.i32(1) },
        { body: [] },
        { name: 'c', params: [I32, I32], body: [] },
      ],
    });
    const types = exportedFunctionTypes(bytes);
    expect(Object.fromEntries(types)).toEqual({ a: { params: ['i64'], results: ['i32'] }, c: { params: ['i32', 'i32'], results: [] } });
  });

  it('reads a real C program: _start takes nothing and returns nothing', () => {
    const bytes = fs.readFileSync(path.join(__dirname, 'wasm', 'cli_probe.wasm'));
    expect(exportedFunctionTypes(bytes).get('_start')).toEqual({ params: [], results: [] });
  });
});

describe('invokeParams and formatResults', () => {
  const t = { params: ['i32', 'i64', 'f32', 'f64'] as const, results: ['f32'] as const };
  it('parses each parameter by its type', () => {
    expect(invokeParams({ params: [...t.params], results: [] }, ['-1', '0xffffffffffffffff', '1.5', 'NaN'], 'f')).toEqual([-1, -1n, 1.5, NaN]);
    expect(invokeParams({ params: ['i32'], results: [] }, ['0xffffffff'], 'f')).toEqual([-1]);
  });
  it.each([['i32', '2147483648x'], ['i32', '-2147483649'], ['i64', '18446744073709551616'], ['f64', 'one'], ['i32', '']])('%s %j is refused', (type, text) => {
    expect(() => invokeParams({ params: [type as 'i32'], results: [] }, [text], 'f')).toThrow(InvokeError);
  });
  it('prints as wasmtime: f32 shortest, infinities as inf', () => {
    expect(formatResults({ params: [], results: ['f32'] }, Math.fround(0.1))).toBe('0.1\n');
    expect(formatResults({ params: [], results: ['f64', 'i64'] }, [-Infinity, -5n])).toBe('-inf -5\n');
    expect(formatResults({ params: [], results: [] }, undefined)).toBe('\n');
  });
});
