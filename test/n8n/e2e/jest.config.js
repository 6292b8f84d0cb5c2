// The real-n8n end-to-end test: `npm run test:e2e:n8n` (installs Node 24 and n8n into a cache the first time).
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/*.e2e.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../../tsconfig.json' }] },
};
