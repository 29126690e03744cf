// Whether NodeDirectory's host calls go through the native addon in this run (it was built,
// REFWASI_NATIVE is not 0, and the fd mode is on), and a way to run one test's body over
// Node's fs instead: tests that inject faults into Node's fs can only reach that path.
import { hostOps, nativeCalls } from '../../src/backends/node/host-ops';
import { nativeOps } from '../../src/backends/node/native-ops';

export const usingNative = (): boolean => nativeOps !== null && hostOps() === nativeOps;

export function withoutNative<T>(run: () => T): T {
  const was = nativeCalls.enabled;
  nativeCalls.enabled = false;
  try {
    return run();
  } finally {
    nativeCalls.enabled = was;
  }
}
