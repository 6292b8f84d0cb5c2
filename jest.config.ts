// One jest project per package; every project runs the TypeScript sources (no build needed).
import type { Config } from 'jest';

const sources = {
  '^connectly-agent-graph$': '<rootDir>/packages/agent-graph/src/index.ts',
  '^connectly-agent-graph/wire$': '<rootDir>/packages/agent-graph/src/wire/api.ts',
  '^connectly-agent-graph/testing$': '<rootDir>/packages/agent-graph/src/testing.ts',
  '^connectly-agent-graph-mock$': '<rootDir>/packages/mock-server/src/index.ts',
  '^connectly-session-redis$': '<rootDir>/packages/session-redis/src/index.ts',
  '^nestjs-connectly$': '<rootDir>/nest-module/src/index.ts',
  '^nestjs-connectly/terminus$': '<rootDir>/nest-module/src/terminus/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

function project(name: string, dir: string): Exclude<NonNullable<Config['projects']>[number], string> {
  return {
    displayName: name,
    rootDir: __dirname,
    testEnvironment: 'node',
    testMatch: [`<rootDir>/${dir}/test/**/*.spec.ts`],
    moduleNameMapper: sources,
    transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: `<rootDir>/${dir}/test/tsconfig.json` }] },
  };
}

const config: Config = {
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  projects: [
    project('agent-graph', 'packages/agent-graph'),
    project('mock-server', 'packages/mock-server'),
    project('cli', 'packages/cli'),
    project('session-redis', 'packages/session-redis'),
    {
      ...project('readme', 'test/readme'),
      testMatch: ['<rootDir>/test/readme/*.spec.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/readme/tsconfig.json' }] },
    },
    {
      ...project('n8n-node', 'nodes'),
      testMatch: ['<rootDir>/test/n8n/*.spec.ts'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/n8n/tsconfig.json' }] },
    },
    {
      // NestJS 12 is ESM-only: its files are turned into CommonJS for jest (see the transform's header).
      ...project('nest-module', 'nest-module'),
      transform: {
        '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/nest-module/test/tsconfig.json' }],
        '/node_modules/@nestjs/.+\\.js$': '<rootDir>/nest-module/jest-transform.cjs',
      },
      transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
    },
    {
      ...project('nest-whatsapp', 'examples/nest-whatsapp'),
      transform: {
        '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/examples/nest-whatsapp/test/tsconfig.json' }],
        '/node_modules/@nestjs/.+\\.js$': '<rootDir>/nest-module/jest-transform.cjs',
      },
      transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
    },
  ],
};

export default config;
