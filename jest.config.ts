// One jest project per package; every project runs the TypeScript sources (no build needed).
import type { Config } from 'jest';

const sources = {
  '^connectly-agent-graph$': '<rootDir>/packages/agent-graph/src/index.ts',
  '^connectly-agent-graph-mock$': '<rootDir>/packages/mock-server/src/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

function project(name: string, dir: string): NonNullable<Config['projects']>[number] {
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
  projects: [
    project('agent-graph', 'packages/agent-graph'),
    project('mock-server', 'packages/mock-server'),
    project('cli', 'packages/cli'),
  ],
};

export default config;
