// Builds dist/: CommonJS + .d.ts with tsc, and ESM with esbuild. dist/esm/index.mjs and the
// chunks it loads are the browser bundle and must not pull in any Node built-in.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import esmOptions from './esm-options.cjs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
await build({ ...esmOptions, logLevel: 'warning' });
