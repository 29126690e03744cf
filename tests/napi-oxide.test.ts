// A real napi-rs wasm32-wasi package from npm, switched to refwasi as docs/threads.md says:
// Tailwind's oxide scanner lists a project on the main thread and reads its files on a
// worker thread (a Rust thread under @napi-rs/wasm-runtime and emnapi), all through one
// descriptor table. What it finds is checked on the main thread, against the package as
// npm ships it (on node:wasi, a WASI per thread) scanning the same files.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { oxidePackage } from './helpers/napi-package';

const SCAN = path.join(__dirname, 'helpers', 'oxide-scan.cjs');

interface Scan { candidates: string[]; files: string[]; workerCalls: { path_open: number; fd_read: number; fd_readdir: number } }

function scan(pkg: string, base: string, mode = 'host', hostProject = ''): Scan {
  const r = spawnSync(process.execPath, ['--no-warnings', SCAN, pkg, base, mode, hostProject], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`scan failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Scan;
}

let pkg: { original: string; switched: string };
let project: string;
beforeAll(() => {
  pkg = oxidePackage();
  project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'refwasi-oxide-')));
  fs.mkdirSync(path.join(project, 'src', 'deep', 'er'), { recursive: true });
  fs.writeFileSync(path.join(project, 'src', 'index.html'), '<div class="flex p-4 text-red-500">hi</div>\n');
  fs.writeFileSync(path.join(project, 'src', 'app.js'), 'export const x = "grid gap-2 underline";\n');
  fs.writeFileSync(path.join(project, 'src', 'deep', 'er', 'leaf.html'), '<b class="font-bold tracking-wide"></b>\n');
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(project, 'src', `page${i}.html`), `<p class="m-${i} w-${i}"></p>\n`);
}, 180_000);
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

const expectedFiles = () => ['src/app.js', 'src/deep/er/leaf.html', 'src/index.html', ...Array.from({ length: 40 }, (_, i) => `src/page${i}.html`)].sort();

test('as npm ships it (node:wasi) the scanner finds every file and class', () => {
  const r = scan(pkg.original, project);
  expect(r.files).toEqual(expectedFiles());
  for (const c of ['flex', 'p-4', 'text-red-500', 'grid', 'gap-2', 'underline', 'font-bold', 'tracking-wide', 'm-0', 'w-39']) expect(r.candidates).toContain(c);
}, 60_000);

test('switched to refwasi over the host filesystem: the same result, with the files read on a worker thread', () => {
  const r = scan(pkg.switched, project);
  const ref = scan(pkg.original, project);
  expect(r.candidates).toEqual(ref.candidates);
  expect(r.files).toEqual(ref.files);
  // Listing happens on the main thread, opening and reading on a Rust worker thread: the
  // worker's fds come from the same table as the directories the main thread opened.
  expect(r.workerCalls.path_open).toBeGreaterThanOrEqual(43);
  expect(r.workerCalls.fd_read).toBeGreaterThanOrEqual(43);
}, 60_000);

test('switched to refwasi over a MemoryDirectory: every thread sees the one tree', () => {
  const r = scan(pkg.switched, '/project', 'memory', project);
  const ref = scan(pkg.original, project);
  expect(r.candidates).toEqual(ref.candidates);
  expect(r.files).toEqual(expectedFiles());
  expect(r.workerCalls.path_open).toBeGreaterThanOrEqual(43);
}, 60_000);
