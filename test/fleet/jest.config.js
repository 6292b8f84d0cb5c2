// The fleet suite: `npm run test:fleet` (builds the WhatsApp example first). FLEET_SCENARIO=control or
// FLEET_SCENARIO=fleet runs one scenario; the history checker's own tests always run.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.spec.ts'],
  moduleNameMapper: {
    '^connectly-agent-graph$': '<rootDir>/../../packages/agent-graph/src/index.ts',
    '^connectly-agent-graph/wire$': '<rootDir>/../../packages/agent-graph/src/wire/api.ts',
    '^connectly-agent-graph-mock$': '<rootDir>/../../packages/mock-server/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};
