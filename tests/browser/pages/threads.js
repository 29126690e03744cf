// Runs a wasi-threads fixture of fixtures/threads (served at /threads/) with refwasi's
// browser runThreads: a Web Worker per thread, one WASI for all, served from wherever this
// runs (the page itself, or the dedicated worker of threads-worker.js for OPFS).
import { MemoryDirectory, OPFSDirectory, runThreads, WasiTrap } from '/dist/esm/index.mjs';
import { fillDir, hexMemoryTree, memoryTree } from './harness.js';

async function opfsDir(name, tree) {
  const top = await navigator.storage.getDirectory();
  await top.removeEntry(name, { recursive: true }).catch(() => undefined);
  const dir = await OPFSDirectory.open(name);
  fillDir(dir, tree);
  return dir;
}

/** { code, stdout, stderr, trap, after, opfs }: the MemoryDirectory's tree once the program is over, or OPFS's handle counts. */
export async function runThreadFixture({ name, tree, backend = 'memory' }) {
  const res = await fetch(`/threads/${name}.wasm`);
  if (!res.ok) throw new Error(`${name}.wasm: ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const dir = backend === 'opfs' ? await opfsDir(`threads-${name}`, tree) : MemoryDirectory.from(memoryTree(tree));
  let stdout = '';
  let stderr = '';
  const decoder = new TextDecoder();
  let code;
  let trap = null;
  try {
    code = await runThreads(bytes, {
      args: [name],
      preopens: { 'fs-tests.dir': dir },
      stdout: (b) => { stdout += decoder.decode(b); },
      stderr: (b) => { stderr += decoder.decode(b); },
    });
  } catch (e) {
    if (!(e instanceof WasiTrap)) throw e;
    code = 134;
    trap = e.message;
  }
  const after = backend === 'memory' ? hexMemoryTree(dir.toTree()) : null;
  const opfs = backend === 'opfs' ? dir.unmount() : null;
  return { code, stdout, stderr, trap, after, opfs };
}
