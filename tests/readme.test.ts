// The README's usage example, pasted into a file as a user would: its TypeScript is
// stripped of types with esbuild, written next to a program, and run by Node against the
// built package (`import ... from 'refwasi'` resolves to this package by its own name).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';

const ROOT = join(__dirname, '..');

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no ```ts block');
  return block[1];
}

describe('README usage example', () => {
  const dir = join(ROOT, 'tmp', 'readme-example');

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'esm', 'index.mjs'))) {
      execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports refwasi, runs prog.wasm over a MemoryDirectory and reads the tree back', () => {
    const { code } = transformSync(readmeExample(), { loader: 'ts', format: 'esm' });
    writeFileSync(join(dir, 'example.mjs'), code);
    copyFileSync(join(ROOT, 'tests', 'wasm', 'readme_prog.wasm'), join(dir, 'prog.wasm'));
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(out).toContain('arg: x, K=v\n');
    expect(out).toContain('a.txt says: text\n');
    for (const name of ['.', '..', 'a.txt', 'b.bin', 'sub']) expect(out).toContain(`entry: ${name}\n`);
    // The last line is console.log(code, root.toTree()): exit code 0 and the file the guest wrote.
    expect(out).toMatch(/^0 \{/m);
    expect(out).toContain("'out.txt': Uint8Array");
  });
});
