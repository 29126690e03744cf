// The wasi-threads fixtures of fixtures/threads (built from fixtures/threads-c), run the
// way `wasmtime run -S threads` runs them: `_start` and every spawned thread in a worker,
// one WASI for all. Each runs over MemoryDirectory and over NodeDirectory (a temp copy of
// its dirs), with an empty stdin and the spec's exit code, stdout and stderr; over NodeDirectory every host fd
// the program opened is closed when it ends.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryDirectory } from '../src/backends/memory';
import { NodeDirectory } from '../src/backends/node';
import { WasiTrap } from '../src/abi/errors';
import { runThreads } from '../src/node';
import type { Spec } from './helpers/fixture-specs';
import { fdsUnder, treeFrom } from './helpers/host-tree';

const SUITE = path.join(__dirname, '..', 'fixtures', 'threads');
const names = fs.readdirSync(SUITE).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

interface Outcome { exit_code: number; stdout: string; stderr: string }

async function run(name: string, backend: 'memory' | 'node', tmp: string): Promise<Outcome> {
  const spec = JSON.parse(fs.readFileSync(path.join(SUITE, `${name}.json`), 'utf8')) as Spec;
  const preopens: Record<string, MemoryDirectory | NodeDirectory> = {};
  for (const d of spec.dirs ?? []) {
    if (backend === 'memory') {
      preopens[d] = MemoryDirectory.from(treeFrom(path.join(SUITE, d)));
    } else {
      fs.cpSync(path.join(SUITE, d), path.join(tmp, d), { recursive: true });
      preopens[d] = new NodeDirectory(path.join(tmp, d));
    }
  }
  let stdout = '';
  let stderr = '';
  const decoder = new TextDecoder();
  let exit_code: number;
  try {
    exit_code = await runThreads(fs.readFileSync(path.join(SUITE, `${name}.wasm`)), {
      args: [name, ...(spec.args ?? [])],
      env: spec.env,
      preopens,
      // An empty stdin, not the test runner's own (a terminal would keep stdin_reader_thread waiting).
      stdin: '',
      stdout: (b) => { stdout += decoder.decode(b); },
      stderr: (b) => { stderr += decoder.decode(b); },
    });
  } catch (e) {
    if (!(e instanceof WasiTrap)) throw e;
    exit_code = 134; // a trap, as wasmtime's status on Unix
  }
  return { exit_code, stdout, stderr };
}

function expected(name: string): Outcome {
  const spec = JSON.parse(fs.readFileSync(path.join(SUITE, `${name}.json`), 'utf8')) as Spec;
  return { exit_code: spec.exit_code ?? 0, stdout: spec.stdout ?? '', stderr: spec.stderr ?? '' };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-threads-')));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the suite has the thread fixtures', () => {
  expect(names.length).toBeGreaterThanOrEqual(12);
});

describe.each(names)('%s', (name) => {
  test('over MemoryDirectory', async () => {
    expect(await run(name, 'memory', tmp)).toEqual(expected(name));
  });

  test('over NodeDirectory, closing every host fd it opened', async () => {
    const got = await run(name, 'node', tmp);
    expect(got).toEqual(expected(name));
    expect(fdsUnder(tmp)).toEqual([]);
    // The program's directory is as the fixture leaves it: all clean up after themselves but
    // the one that shows a thread's file outlives the program.
    const left = name === 'thread_writes_file' ? ['made-by-thread.txt'] : [];
    expect(fs.readdirSync(path.join(tmp, 'fs-tests.dir')).sort()).toEqual([...fs.readdirSync(path.join(SUITE, 'fs-tests.dir')), ...left].sort());
  });
});
