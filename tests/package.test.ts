// The package as published: what `npm pack` puts in it, its metadata, its types as
// @arethetypeswrong/cli and TypeScript itself (the pinned version and the oldest supported,
// 5.0) see them from a consumer project under every moduleResolution, and that what the
// types promise is what Node loads.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suiteIndex } from '../src/conformance/suite';
import { packAndInstall, ROOT, type Installed } from './helpers/packed';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown> & {
  exports: Record<string, unknown>; files: string[]; devDependencies: Record<string, string>;
};

let tmp: string;
let installed: Installed;

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-package-')));
  installed = packAndInstall(tmp);
}, 180_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('npm pack', () => {
  let files: string[];
  beforeAll(() => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
  });

  it('ships both builds with their own declarations, the bin, the node10 stub, the license and the fixtures', () => {
    for (const f of [
      'LICENSE', 'README.md', 'package.json', 'bin/refwasi.js', 'node/package.json',
      'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/node.js', 'dist/cjs/node.d.ts', 'dist/cjs/cli.js',
      'dist/cjs/conformance/main.js', 'dist/cjs/conformance/child.js',
      'dist/esm/index.mjs', 'dist/esm/index.d.mts', 'dist/esm/node.mjs', 'dist/esm/node.d.mts', 'dist/esm/abi/imports.d.mts',
      'fixtures/index.json', 'fixtures/package.json', 'fixtures/README.md', 'fixtures/include/refwasi_dup.h', 'fixtures/testsuite/fs-tests.dir/small.npy',
    ]) expect(files).toContain(f);
    const index = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'index.json'), 'utf8')) as { tests: { wasm: string; spec: string }[] };
    for (const t of index.tests) {
      expect(files).toContain(`fixtures/${t.wasm}`);
      expect(files).toContain(`fixtures/${t.spec}`);
    }
  });

  it('ships nothing of the development tree', () => {
    // native/ and its build script: the optional addon is built from source at install (never failing it).
    const allowed = /^(LICENSE|README\.md|package\.json|bin\/|node\/|dist\/(cjs|esm)\/|fixtures\/(index\.json|package\.json|README\.md|include\/|c\/|testsuite\/|threads\/|threads-c\/)|native\/(binding\.gyp|refwasi_native\.c)$|scripts\/build-native\.mjs$)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f))).toEqual([]);
  });
});

describe('native addon', () => {
  it('builds from the shipped sources in the installed package, and both builds use it (or it says why not)', () => {
    const pkgDir = path.join(installed.app, 'node_modules', 'refwasi');
    const env = { ...process.env, REFWASI_NATIVE: '' };
    const build = spawnSync(process.execPath, ['scripts/build-native.mjs'], { cwd: pkgDir, encoding: 'utf8', env });
    expect({ status: build.status, lines: build.stdout.trim().split('\n').length }).toEqual({ status: 0, lines: 1 });
    const built = /native addon built/.test(build.stdout);
    const check = (code: string, type: string): string =>
      spawnSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: installed.app, encoding: 'utf8', env }).stdout.trim();
    expect(check("console.log(require('refwasi/node').NodeDirectory.usesNativeAddon)", 'commonjs')).toBe(String(built));
    expect(check("import { NodeDirectory } from 'refwasi/node'; console.log(NodeDirectory.usesNativeAddon)", 'module')).toBe(String(built));
  }, 120_000);
});

describe('package.json', () => {
  it('has the metadata a registry page and a bundler need', () => {
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//) });
    expect(pkg.keywords).toEqual(expect.arrayContaining(['wasi', 'webassembly']));
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.exports['./package.json']).toBe('./package.json');
    expect(pkg.exports['./fixtures']).toBe('./fixtures/index.json');
  });

  it('fixtures/index.json lists exactly the suite as it is (npm run fixtures:index rewrites it)', () => {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'index.json'), 'utf8')) as unknown;
    expect(committed).toEqual(suiteIndex(path.join(ROOT, 'fixtures'), ['testsuite', 'threads']));
  });
});

describe('types', () => {
  it('@arethetypeswrong/cli finds no problem in the packed tarball', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), installed.tarball, '--format', 'ascii'], { encoding: 'utf8' });
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: expect.stringContaining('No problems found') });
  });

  // Compiled in the consumer project against the installed package. Each @ts-expect-error is
  // a check of its own: tsc fails if the line it covers type-checks.
  const common = `
    const wasi = new WASI({ args: ['prog'], preopens: { '/': MemoryDirectory.from({ 'a.txt': 'text' }) } });
    const p: Preview1Imports = wasi.getImportObject().wasi_snapshot_preview1;
    const errno: number = p.fd_seek(3, 0n, 0, 16);
    // @ts-expect-error: an i64 argument is a bigint
    p.fd_seek(3, 0, 0, 16);
    // @ts-expect-error: fd_close takes one argument
    p.fd_close(3, 4);
    const x: WasixImports = wasi.getImportObject().wasix_32v1;
    x.fd_dup(3, 16);
    export async function run(module: WebAssembly.Module): Promise<number> {
      const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
      const node = new NodeWASI({ preopens: { '/data': new NodeDirectory('.') }, stdout: 'inherit' });
      return node.start(instance) + errno;
    }
  `;
  const esm = `import { WASI, MemoryDirectory, type Preview1Imports, type WasixImports } from 'refwasi';
    import { WASI as NodeWASI, NodeDirectory } from 'refwasi/node';
    // @ts-expect-error: the ESM build has no default export, and Node would refuse it
    import refwasi from 'refwasi';
    void refwasi;
    ${common}`;
  const cjs = `import { WASI, MemoryDirectory, type Preview1Imports, type WasixImports } from 'refwasi';
    import { WASI as NodeWASI, NodeDirectory } from 'refwasi/node';
    ${common}`;

  const compilers: [string, string][] = [
    [`typescript ${pkg.devDependencies.typescript}`, path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')],
    ['typescript 5.0 (the oldest supported)', path.join(ROOT, 'node_modules', 'typescript-5.0', 'bin', 'tsc')],
  ];
  const setups: { resolution: string; module: string; files: Record<string, string> }[] = [
    { resolution: 'node16', module: 'node16', files: { 'esm.mts': esm, 'cjs.cts': cjs } },
    { resolution: 'nodenext', module: 'nodenext', files: { 'esm.mts': esm, 'cjs.cts': cjs } },
    { resolution: 'bundler', module: 'esnext', files: { 'index.ts': cjs } },
    { resolution: 'node10', module: 'commonjs', files: { 'index.ts': cjs } },
  ];

  describe.each(compilers)('%s', (_name, tsc) => {
    it.each(setups)('a consumer compiles under moduleResolution $resolution, without skipLibCheck', ({ resolution, module, files }) => {
      const dir = path.join(installed.app, `tsc-${path.basename(path.dirname(path.dirname(tsc)))}-${resolution}`);
      fs.mkdirSync(dir);
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      const version = spawnSync(process.execPath, [tsc, '-v'], { encoding: 'utf8' }).stdout;
      const deprecated = resolution === 'node10' && /Version [6-9]/.test(version) ? ['--ignoreDeprecations', '6.0'] : [];
      const r = spawnSync(process.execPath, [
        tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--module', module, '--moduleResolution', resolution,
        '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), ...deprecated, ...Object.keys(files),
      ], { cwd: dir, encoding: 'utf8' });
      expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
    }, 60_000);
  });
});

describe('what Node loads', () => {
  function node(file: string, text: string): { status: number | null; out: string } {
    fs.writeFileSync(path.join(installed.app, file), text);
    const r = spawnSync(process.execPath, [file], { cwd: installed.app, encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  it('ESM: both entries, the fixtures index and package.json', () => {
    const r = node('esm.mjs', `
      import { WASI, Errno } from 'refwasi';
      import { WASI as NodeWASI, NodeDirectory } from 'refwasi/node';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const index = require('refwasi/fixtures');
      console.log(typeof WASI, typeof NodeWASI, typeof NodeDirectory, Errno.BADF, index.format, require('refwasi/package.json').name);
    `);
    expect(r).toEqual({ status: 0, out: 'function function function 8 wasi-testsuite refwasi\n' });
  });

  it('CommonJS: both entries, and a fixture found through the index', () => {
    const r = node('cjs.cjs', `
      const { WASI } = require('refwasi');
      const { NodeDirectory } = require('refwasi/node');
      const fs = require('node:fs');
      const path = require('node:path');
      const indexPath = require.resolve('refwasi/fixtures');
      const index = require(indexPath);
      const t = index.tests.find((t) => t.name === 'numpy_load');
      const threaded = index.tests.filter((t) => t.needs.includes('wasi-threads')).every((t) => t.suite === 'threads' && fs.existsSync(path.join(path.dirname(indexPath), t.wasm)));
      console.log(typeof WASI, typeof NodeDirectory, fs.existsSync(path.join(path.dirname(indexPath), t.wasm)), t.dirs.join(','), t.needs.join(','), index.suites.join(','), threaded);
    `);
    expect(r).toEqual({ status: 0, out: 'function function true fs-tests.dir wasix_32v1 testsuite,threads true\n' });
  });

  it('ESM: a default import fails, as the types say', () => {
    const r = node('default.mjs', "import refwasi from 'refwasi';\nconsole.log(refwasi);\n");
    expect(r.status).not.toBe(0);
    expect(r.out).toContain("does not provide an export named 'default'");
  });
});
