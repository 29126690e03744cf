export { ShimWASI, type ShimWASIOptions } from './wasi';
export { shimDescriptor, shimDirectory, shimPreopenName, type ShimDescriptorOptions } from './install';
export { ShimFs, shimFs, ShimDirectory, ShimFile, ShimFileHandle, ShimStream, ShimDirectoryHandle } from './backend';
export { isShimFd, isShimInode, isShimDirectory, type ShimFd, type ShimInode, type ShimDirectoryInode, type ShimFilestat } from './types';
