// The ES module entry point: the CommonJS build's exports, re-exported, so that `import` and `require()`
// in one app share one set of classes (`instanceof ConnectlyError` holds across both).
export * from './index.js';
