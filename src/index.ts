// refwasi: browser-safe entry. Nothing reachable from here may import a `node:` module.
export { WASI, type WASIOptions, type InputOption, type OutputOption } from './wasi';
export { formatTraceEvent, type TraceEvent, type TraceField, type TraceHandler, type TraceValue } from './trace';
export type { ImportObject, Preview1Imports, WasixImports, Ptr, ErrnoResult } from './abi/imports';
export { MemoryDirectory, type Tree } from './backends/memory';
export { WasiError, ProcExit, WasiTrap } from './abi/errors';
export * from './abi/constants';
export { DescriptorTable, Descriptor, type RenumberMode } from './descriptors/table';
export { OpenFileDescription } from './descriptors/description';
export { Pipe } from './backends/pipe';
export { CallbackSink, BytesSource, PullSource } from './backends/stdio';
export { resolvePath } from './backends/resolve';
export type * from './backends/types';
export {
  ShimWASI, type ShimWASIOptions, shimDescriptor, shimDirectory, shimFs, ShimFs, ShimDirectory, ShimFile,
  ShimFileHandle, ShimStream, ShimDirectoryHandle, isShimFd, isShimInode, isShimDirectory,
  type ShimFd, type ShimInode, type ShimDirectoryInode,
} from './backends/shim';
export {
  OPFSDirectory, OPFSDirNode, OPFSFileNode, OPFSFileHandle, OPFSFs, opfsServerSource, OPFS_PROTOCOL,
  type OPFSOpenOptions, type OPFSStats,
} from './backends/browser';
export { runThreads } from './threads/run-browser';
export { memoryImport, importsThreadSpawn, type MemoryImport } from './threads/memory-import';
export type { ThreadHandle } from './threads/channel';
export type { ProgramEnd } from './threads/kernel';
