// The sandbox escape suite on the real filesystem (NodeDirectory over a temp dir that sits
// next to a secret dir), and over MemoryDirectory with the same attempts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryDirectory } from '../src/backends/memory';
import { NodeDirectory, NodeFileHandle } from '../src/backends/node';
import { describeEscapeSuite, ESCAPE_ATTEMPTS, runEscapeAttempt, type EscapeWorld } from './helpers/escape-suite';

/** Everything under `root` except `root/sandbox`, read with plain fs calls (lstat, readlink, readFile). */
function hostSnapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const full = path.join(root, rel);
    const st = fs.lstatSync(full, { bigint: true });
    const meta = `mode=${st.mode.toString(8)} size=${st.size} nlink=${st.nlink} mtime=${st.mtimeNs} ino=${st.ino}`;
    if (st.isSymbolicLink()) out.set(rel, `${meta} -> ${fs.readlinkSync(full)}`);
    else if (st.isFile()) out.set(rel, `${meta} content=${JSON.stringify(fs.readFileSync(full, 'utf8'))}`);
    else if (st.isDirectory()) {
      const names = fs.readdirSync(full).sort();
      out.set(rel, `${meta} entries=${names.join(',')}`);
      for (const name of names) if (!(rel === '' && name === 'sandbox')) walk(path.join(rel, name));
    } else out.set(rel, `${meta} (special)`);
  };
  walk('');
  return out;
}

function nodeWorld(): EscapeWorld {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-escape-')));
  const start = { ...NodeFileHandle.counters };
  return {
    root: new NodeDirectory(dir),
    absolutePath: dir,
    // The embedder's preopen: its own NodeDirectory over the host path, as `--dir` makes it.
    preopen: () => new NodeDirectory(path.join(dir, 'sandbox')),
    snapshotOutside: () => hostSnapshot(dir),
    leaks() {
      const c = NodeFileHandle.counters;
      const problems: string[] = [];
      if (c.opened - start.opened !== c.closed - start.closed) {
        problems.push(`host fds: ${c.opened - start.opened} opened, ${c.closed - start.closed} closed`);
      }
      if (c.doubleCloseAttempts !== start.doubleCloseAttempts) problems.push('a host fd was closed twice');
      return problems;
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function memoryWorld(): EscapeWorld {
  const root = new MemoryDirectory();
  return {
    root,
    absolutePath: '',
    leaks: () => [
      ...(root.openHandles === 0 ? [] : [`${root.openHandles} memory handles left open`]),
      ...(root.doubleCloses === 0 ? [] : [`${root.doubleCloses} double closes`]),
    ],
  };
}

describeEscapeSuite('escape suite over NodeDirectory (real files)', nodeWorld);
describeEscapeSuite('escape suite over MemoryDirectory', memoryWorld);

describe('the escape suite can fail', () => {
  // A suite that passes against anything proves nothing: against a "sandbox" that is in
  // fact the whole world, the same attempts must report escapes.
  it('reports escapes when the preopen is the world itself', async () => {
    let escaped = 0;
    for (const attempt of ESCAPE_ATTEMPTS) {
      const report = await runEscapeAttempt(() => {
        const w = nodeWorld();
        return { ...w, preopen: () => w.root };
      }, attempt);
      if (report.failures.length > 0) escaped++;
    }
    expect(escaped).toBeGreaterThanOrEqual(20);
  });
});
