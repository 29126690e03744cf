// The Node host backend: preopened host directories, their files, and the process's stdio.
export { NodeDirectory, type NodeDirectoryOptions } from './directory';
export { NodeFileHandle, defaultMaxHostFds, type HostFdCounters } from './file-handle';
export { NodeFileInode, NodeSymlinkInode } from './inodes';
export { NodeStdioHandle, nodeStdio } from './stdio';
export { HOST_ERRNO, errnoFromHost, hostCall } from './errno';
export { READ_ONLY_ERRNO } from './tree';
