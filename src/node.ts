// refwasi/node: the Node-only parts (host files, host stdio). Re-exports the core too.
export * from './index';
export * from './backends/node';
export { NodeStdin } from './backends/node/stdin';

import { NodeStdin } from './backends/node/stdin';
import { NodeStdioHandle } from './backends/node/stdio';
import { WASI as CoreWASI, type InputOption, type OutputOption, type WASIOptions as CoreWASIOptions } from './wasi';

/** The core options, plus 'inherit' for stdio: the host process's own fd 0, 1 or 2. */
export interface WASIOptions extends Omit<CoreWASIOptions, 'stdin' | 'stdout' | 'stderr'> {
  /** ...or 'inherit': blocking reads of the process's stdin (see NodeStdin). */
  stdin?: InputOption | 'inherit';
  /** ...or 'inherit': written straight to the process's fd 1. */
  stdout?: OutputOption | 'inherit';
  stderr?: OutputOption | 'inherit';
}

/**
 * The WASI class of refwasi/node: the core one, with stdin/stdout/stderr 'inherit' mapped to
 * the host process's stdio. `import { WASI } from 'refwasi'` stays browser-safe.
 */
export class WASI extends CoreWASI {
  constructor(options: WASIOptions = {}) {
    const { stdin, stdout, stderr, ...rest } = options;
    super({
      ...rest,
      stdin: stdin === 'inherit' ? new NodeStdin(0) : stdin,
      stdout: stdout === 'inherit' ? new NodeStdioHandle(1) : stdout,
      stderr: stderr === 'inherit' ? new NodeStdioHandle(2) : stderr,
    });
  }
}
