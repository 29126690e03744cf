// Builds dist/: CommonJS + .d.ts with tsc, and ESM with esbuild. dist/esm/index.mjs and the
// chunks it loads are the browser bundle and must not pull in any Node built-in.
//
// The ESM side gets its own declarations (dist/esm/**/*.d.mts): TypeScript reads a .d.ts as
// the types of a CommonJS file, so sharing dist/cjs's would type `import` users as CommonJS
// (a default import that type-checks and fails at run time). The .d.mts files are tsc's .d.ts
// with each relative specifier given the extension ESM resolution needs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import esmOptions from './esm-options.cjs';

const CJS = 'dist/cjs';
const ESM = 'dist/esm';

/** `./x` as an ESM declaration specifier: `./x.mjs`, or `./x/index.mjs` for a directory. */
function esmSpecifier(fromFile, specifier) {
  const target = join(dirname(fromFile), specifier);
  if (existsSync(`${target}.d.ts`)) return `${specifier}.mjs`;
  if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.mjs`;
  throw new Error(`${fromFile}: cannot resolve '${specifier}' among the declarations`);
}

function* declarations(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* declarations(p);
    else if (name.endsWith('.d.ts')) yield p;
  }
}

function emitEsmDeclarations() {
  for (const file of declarations(CJS)) {
    const source = readFileSync(file, 'utf8');
    const out = source.replace(/(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.\.?\/[^'"]*)\2/g, (_, lead, quote, spec) => `${lead}${quote}${esmSpecifier(file, spec)}${quote}`);
    const dest = join(ESM, relative(CJS, file)).replace(/\.d\.ts$/, '.d.mts');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, out);
  }
}

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
await build({ ...esmOptions, logLevel: 'warning' });
emitEsmDeclarations();
