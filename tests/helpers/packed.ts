// The package as a user gets it: built, packed with `npm pack` and installed (offline, it
// has no dependencies) into a fresh project, so tests see exactly the files that ship.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface Installed {
  tarball: string;
  /** The consumer project; the package is in `app/node_modules/refwasi`. */
  app: string;
}

/** The newest modification time among the files dist/ is built from. */
function newestSource(): number {
  let newest = 0;
  const visit = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'scripts/build.mjs', 'scripts/esm-options.cjs', 'tsconfig.json', 'tsconfig.build.json']) visit(join(ROOT, p));
  return newest;
}

/**
 * Builds dist/ unless it is newer than every source (as after `npm ci`), so that tests do not
 * empty dist/ under other tests that read it.
 */
export function ensureBuilt(): void {
  const last = join(ROOT, 'dist', 'esm', 'index.d.mts'); // the build's last output
  if (existsSync(last) && statSync(last).mtimeMs >= newestSource()) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
}

export function packAndInstall(tmp: string): Installed {
  ensureBuilt();
  // --ignore-scripts: `prepare` would build again, emptying dist/ while other tests read it.
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = join(tmp, pack.stdout.trim().split('\n').pop()!);
  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: app, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm install failed: ${install.stderr}`);
  return { tarball, app };
}
