// The ES module entry point of connectly-agent-graph/testing: the CommonJS build's exports, re-exported,
// so that `import` and `require()` share one set of classes.
export * from './testing.js';
