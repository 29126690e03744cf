// The np.load story, end to end: the numpy fixtures run by the refwasi command over a real
// directory (a temporary copy of fixtures/testsuite/fs-tests.dir), and the host's own fd
// count before and after, to show that every host fd opened was closed exactly once.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

try {
  parseArgs({ options: {} });
} catch (e) {
  console.error(`${e.message} (usage: npm run demo; it takes no options)`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'refwasi-demo-'));
cpSync('fixtures/testsuite/fs-tests.dir', join(work, 'fs-tests.dir'), { recursive: true });
try {
  for (const name of ['numpy_npy', 'numpy_load']) {
    const args = ['bin/refwasi.js', 'run', '--dir', `${join(work, 'fs-tests.dir')}::fs-tests.dir`, `fixtures/testsuite/${name}.wasm`];
    console.log(`$ refwasi run --dir <copy of fs-tests.dir>::fs-tests.dir fixtures/testsuite/${name}.wasm`);
    // The child reports its own /proc/self/fd count around the run.
    const probe = `
      const fs = require('node:fs');
      const count = () => fs.readdirSync('/proc/self/fd').length;
      const { NodeFileHandle } = require('./dist/cjs/backends/node');
      process.stderr.write(''); // Node opens its stderr handle lazily: do it before counting.
      const before = count();
      const code = require('./dist/cjs/cli.js').main(${JSON.stringify(args.slice(1))});
      const { opened, closed, doubleCloseAttempts } = NodeFileHandle.counters;
      process.stderr.write('host fds: ' + before + ' open before, ' + count() + ' after; opened ' + opened +
        ', closed ' + closed + ', closes of an already closed fd ' + doubleCloseAttempts + '\\n');
      process.exitCode = code;`;
    const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    process.stdout.write(run.stdout);
    process.stdout.write(run.stderr);
    console.log(`exit status ${run.status}\n`);
    if (run.status !== 0) process.exitCode = 1;
  }
  console.log(`left in the directory: ${readdirSync(join(work, 'fs-tests.dir')).sort().join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
