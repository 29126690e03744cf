// The package as a user gets it: built, packed with `npm pack` and installed (offline, it
// has no dependencies) into a fresh project, so tests see exactly the files that ship.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export interface Installed {
  tarball: string;
  /** The consumer project; the package is in `app/node_modules/refwasi`. */
  app: string;
}

export function packAndInstall(tmp: string): Installed {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
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
