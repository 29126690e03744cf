// refwasi/node: the Node-only parts (host files, host stdio). Re-exports the core too.
export * from './index';
export * from './backends/node';
