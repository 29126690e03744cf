// Builds dist/: CommonJS + .d.ts with tsc, and ESM with esbuild. The two ESM entries share
// chunks (one copy of the core for users who import both); dist/esm/index.mjs and its
// chunks are the browser bundle and must not pull in any Node built-in.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

await build({
  entryPoints: { index: 'src/index.ts', node: 'src/node.ts' },
  outdir: 'dist/esm',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['node:*'],
  logLevel: 'warning',
});
