export { OPFSDirectory, OPFSDirNode, OPFSFileNode, OPFSFileHandle, OPFSFs, type OPFSOpenOptions } from './opfs';
export { opfsServerMain, opfsServerSource } from './opfs-server';
export { PROTOCOL as OPFS_PROTOCOL, type OPFSStats } from './protocol';
