// The packages as a stranger installs them: `npm run test:packages` packs every package and installs each
// into an empty project (npm registry or npm cache for third-party packages; ours only from the tarballs).
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testTimeout: 120_000,
  testMatch: ['<rootDir>/*.spec.ts'],
  moduleNameMapper: {
    '^connectly-agent-graph-mock$': '<rootDir>/../../packages/mock-server/src/index.ts',
    '^connectly-agent-graph$': '<rootDir>/../../packages/agent-graph/src/index.ts',
    '^connectly-agent-graph/wire$': '<rootDir>/../../packages/agent-graph/src/wire/api.ts',
    '^connectly-agent-graph/testing$': '<rootDir>/../../packages/agent-graph/src/testing.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};
