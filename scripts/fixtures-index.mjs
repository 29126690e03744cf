// Writes fixtures/index.json, the list of tests that ships as `refwasi/fixtures`
// (`npm run fixtures:index`; needs dist/, so it builds first). tests/package.test.ts fails
// when the committed index is not what this would write.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

parseArgs({ args: process.argv.slice(2), options: {}, strict: true, allowPositionals: false });
const { suiteIndex } = createRequire(import.meta.url)('../dist/cjs/conformance/suite.js');
writeFileSync('fixtures/index.json', `${JSON.stringify(suiteIndex('fixtures', ['testsuite', 'threads']), null, 2)}\n`);
