// Global set-up of the browser tests: without Chromium every test would fail with the same
// launch error, so say once what is missing and how to install it.
import { accessSync, constants } from 'node:fs';
import { CHROMIUM } from './browser';

export default function checkChromium(): void {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium is not at ${CHROMIUM}: the browser tests need it. Install it with \`bash scripts/setup-debian.sh\` ` +
        '(or `apt-get install chromium`), or point REFWASI_CHROMIUM at a Chromium binary.',
    );
  }
}
