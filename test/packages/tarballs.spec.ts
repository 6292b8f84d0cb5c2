// Every package installed from its tarball into an empty project, with only the sibling tarballs it
// declares, and used from CommonJS, ESM, TypeScript and its bins.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { PACKAGES, Project, packAll, packed, root, tarball } from './project';

const NEST = ['@nestjs/common@12.5.1', '@nestjs/core@12.5.1', 'reflect-metadata@0.2.2', 'rxjs@7.8.2'];

let mock: MockConnectlyServer;
let baseUrl: string;

beforeAll(async () => {
  packAll();
  mock = new MockConnectlyServer({ apiKey: 'probe-key' });
  baseUrl = await mock.start();
}, 300_000);

afterAll(async () => {
  await mock?.stop();
});

const env = (): Record<string, string> => ({ MOCK_URL: baseUrl });

function filesOf(file: string): string[] {
  return execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n');
}

/** Every package runs where the client does, but the NestJS module: NestJS 12's `file-type` declares Node 22. */
const ROOT_ENGINES = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node as string;
const NEST_ENGINES = '^22.13.0 || >=24.0.0';

describe('the tarballs', () => {
  const names = PACKAGES;

  it.each(names)('%s ships the MIT LICENSE, a README, and says where its repository and bug tracker are', (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'connectly-tarball-'));
    try {
      execFileSync('tar', ['xzf', tarball(name), '-C', dir]);
      expect(readFileSync(join(dir, 'package/LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
      expect(readFileSync(join(dir, 'package/README.md'), 'utf8')).toMatch(/^# /);
      const manifest = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8'));
      expect(manifest).toMatchObject({
        license: 'MIT',
        repository: { type: 'git', url: expect.stringMatching(/^git\+https:\/\//) },
        bugs: { url: expect.stringMatching(/^https:\/\//) },
        engines: { node: name === 'nestjs-connectly' ? NEST_ENGINES : ROOT_ENGINES },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(names)('%s: every source map points at files the tarball ships', (name) => {
    const files = new Set(filesOf(tarball(name)));
    const dir = mkdtempSync(join(tmpdir(), 'connectly-tarball-'));
    try {
      execFileSync('tar', ['xzf', tarball(name), '-C', dir]);
      const maps = [...files].filter((f) => f.endsWith('.map'));
      for (const map of maps) {
        const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const shipped = resolve(dir, dirname(map), source);
          expect([map, existsSync(shipped)]).toEqual([map, true]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm run pack wrote one tarball per package and nothing else', () => {
    expect(readdirSync(packed).sort()).toEqual(names.map((n) => `${n}-0.1.0.tgz`).sort());
  });
});

const CLIENT_CJS = `
const { ConnectlyClient, ConnectlyError, ConnectlyValidationError } = require('connectly-agent-graph');
const client = new ConnectlyClient({ apiKey: 'probe-key', businessId: 'b', baseUrl: process.env.MOCK_URL });
client.reply({ clientKey: 'c', sessionId: '', text: 'Hi' }).catch((validation) =>
  client.session({ clientKey: 'c' }).reply('I want a gift').then((reply) => {
    console.log(JSON.stringify({ products: reply.products.length, validation: validation instanceof ConnectlyValidationError && validation instanceof ConnectlyError }));
  }),
);
`;

const CLIENT_ESM = `
import { createRequire } from 'node:module';
import { ConnectlyClient, ConnectlyError } from 'connectly-agent-graph';
const cjs = createRequire(import.meta.url)('connectly-agent-graph');
const client = new ConnectlyClient({ apiKey: 'wrong-key', businessId: 'b', baseUrl: process.env.MOCK_URL });
const error = await client.reply({ clientKey: 'c', sessionId: 's', text: 'Hi' }).catch((e) => e);
const ok = await new ConnectlyClient({ apiKey: 'probe-key', businessId: 'b', baseUrl: process.env.MOCK_URL })
  .session({ clientKey: 'c' }).reply('Hi');
console.log(JSON.stringify({
  sameClasses: cjs.ConnectlyError === ConnectlyError && cjs.ConnectlyClient === ConnectlyClient,
  esmErrorIsCjsError: error instanceof cjs.ConnectlyError && error instanceof cjs.ConnectlyApiError,
  status: error.status,
  text: ok.text.length > 0,
}));
`;

// Assigns invoke() to the app's own rxjs Observable; compiled as ESM (.mts) and as CommonJS (.cts).
const CLIENT_TS = `
import { ConnectlyClient, ConnectlyError, type AgentEvent, type AgentReply } from 'connectly-agent-graph';
import { Observable, lastValueFrom } from 'rxjs';
const client = new ConnectlyClient({ apiKey: 'k', businessId: 'b' });
const events: Observable<AgentEvent> = client.invoke({ clientKey: 'c', sessionId: 's', text: 'Hi' });
const reply: Promise<AgentReply> = client.reply({ clientKey: 'c', sessionId: 's', text: 'Hi' });
export const probe = [events, reply, lastValueFrom, ConnectlyError] as const;
`;

describe('connectly-agent-graph', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project(['connectly-agent-graph']);
  }, 300_000);
  afterAll(() => project?.remove());

  it('installs with undici, its transport, alone; rxjs comes as its peer', () => {
    const manifest = JSON.parse(
      readFileSync(join(project.dir, 'node_modules/connectly-agent-graph/package.json'), 'utf8'),
    );
    expect(manifest.dependencies).toEqual({ undici: expect.stringMatching(/^\^7\./) });
    expect(existsSync(join(project.dir, 'node_modules/undici/package.json'))).toBe(true);
    expect(manifest.peerDependencies).toEqual({
      rxjs: expect.stringMatching(/^\^7\./),
      '@opentelemetry/api': '^1.0.0',
    });
    expect(manifest.peerDependenciesMeta).toEqual({ '@opentelemetry/api': { optional: true } });
    expect(existsSync(join(project.dir, 'node_modules/@opentelemetry/api'))).toBe(false);
    expect(existsSync(join(project.dir, 'node_modules/rxjs/package.json'))).toBe(true);
  });

  it('require() talks to the server, and its errors are ConnectlyErrors', async () => {
    project.write('client.cjs', CLIENT_CJS);
    expect(JSON.parse(await project.node('client.cjs', env()))).toEqual({ products: 3, validation: true });
  });

  it('import loads the same classes as require(): no dual-package hazard for instanceof', async () => {
    project.write('client.mjs', CLIENT_ESM);
    expect(JSON.parse(await project.node('client.mjs', env()))).toEqual({
      sameClasses: true,
      esmErrorIsCjsError: true,
      status: 401,
      text: true,
    });
  });

  it('type-checks from ESM and CommonJS TypeScript without @types/node', () => {
    project.write('app.mts', CLIENT_TS);
    project.write('app.cts', CLIENT_TS);
    project.typecheck(
      { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      ['app.mts', 'app.cts'],
    );
  });
});

// The conformance suite from connectly-agent-graph/testing, run on the core's memory store: one case each
// from CommonJS and ESM, and the suite's types from both.
const TESTING = (load: string): string => `${load}
const stores = new Map();
const open = (ns) => stores.get(ns) ?? stores.set(ns, new MemoryConversationStore()).get(ns);
const cases = conversationStoreConformance(open);
const concurrent = cases.find((c) => c.name.includes('exactly one is claimed'));
concurrent.run().then(() => console.log(JSON.stringify({ cases: cases.length > 20, ran: concurrent.name })));
`;
const TESTING_TS = `
import { MemoryConversationStore } from 'connectly-agent-graph';
import { type ConformanceCase, conversationStoreConformance } from 'connectly-agent-graph/testing';
export const cases: ConformanceCase[] = conversationStoreConformance(() => new MemoryConversationStore());
`;

describe('connectly-agent-graph/testing', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project(['connectly-agent-graph']);
  }, 300_000);
  afterAll(() => project?.remove());

  it('runs the conformance suite from require() and import, on the classes of the main entry', async () => {
    project.write(
      'suite.cjs',
      TESTING(
        "const { MemoryConversationStore } = require('connectly-agent-graph'); const { conversationStoreConformance } = require('connectly-agent-graph/testing');",
      ),
    );
    project.write(
      'suite.mjs',
      TESTING(
        "import { MemoryConversationStore } from 'connectly-agent-graph'; import { conversationStoreConformance } from 'connectly-agent-graph/testing';",
      ),
    );
    const expected = {
      cases: true,
      ran: 'claimDelivery: of many concurrent claims on two stores, exactly one is claimed',
    };
    expect(JSON.parse(await project.node('suite.cjs'))).toEqual(expected);
    expect(JSON.parse(await project.node('suite.mjs'))).toEqual(expected);
  });

  it('type-checks from ESM and CommonJS TypeScript, and with node10 resolution', () => {
    project.write('suite.mts', TESTING_TS);
    project.write('suite.cts', TESTING_TS);
    project.typecheck(
      { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      ['suite.mts', 'suite.cts'],
    );
    project.write('legacy.ts', TESTING_TS);
    project.typecheck(
      { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      ['legacy.ts'],
    );
  });
});

describe('the lowest rxjs of the peer range', () => {
  let project: Project;
  let lowest: string;
  beforeAll(() => {
    const range: string = JSON.parse(readFileSync(join(root, 'packages/agent-graph/package.json'), 'utf8'))
      .peerDependencies.rxjs;
    lowest = range.replace(/^\^/, '');
    project = new Project(['connectly-agent-graph'], [`rxjs@${lowest}`]);
  }, 300_000);
  afterAll(() => project?.remove());

  it('is the one installed, type-checks invoke() as its Observable<AgentEvent>, and runs', async () => {
    const rxjs = JSON.parse(readFileSync(join(project.dir, 'node_modules/rxjs/package.json'), 'utf8'));
    expect(rxjs.version).toBe(lowest);
    // rxjs before 7.5.5 declares no types in its "exports", so apps on it resolve modules the node10 way.
    project.write('app.ts', CLIENT_TS);
    project.typecheck(
      { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', lib: ['es2022', 'dom'], types: [] },
      ['app.ts'],
    );
    project.write('client.cjs', CLIENT_CJS);
    expect(JSON.parse(await project.node('client.cjs', env()))).toEqual({ products: 3, validation: true });
    project.write('client.mjs', CLIENT_ESM);
    expect(JSON.parse(await project.node('client.mjs', env()))).toMatchObject({ sameClasses: true, text: true });
  });
});

describe('connectly-agent-graph-mock', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project(['connectly-agent-graph-mock', 'connectly-agent-graph']);
  }, 300_000);
  afterAll(() => project?.remove());

  it('the connectly-mock bin serves the API until stopped', async () => {
    const { match, stop } = await project.spawnUntil(
      ['connectly-mock', '--port', '0', '--api-key', 'bin-key'],
      /listening on (http:\/\/\S+)/,
    );
    try {
      const response = await fetch(`${match[1]}/external/v1/ai/agent_graph/health`, {
        method: 'POST',
        headers: { 'x-api-key': 'bin-key' },
        body: JSON.stringify({ businessId: 'b', clientKey: 'c' }),
      });
      expect(await response.json()).toEqual({ response: { healthy: true } });
    } finally {
      await stop();
    }
  });

  it('starts from require() and from import', async () => {
    const script = (load: string): string => `${load}
      const mock = new MockConnectlyServer();
      mock.start().then(async (url) => { console.log(new URL(url).hostname); await mock.stop(); });`;
    project.write('mock.cjs', script("const { MockConnectlyServer } = require('connectly-agent-graph-mock');"));
    project.write('mock.mjs', script("import { MockConnectlyServer } from 'connectly-agent-graph-mock';"));
    expect((await project.node('mock.cjs')).trim()).toBe('127.0.0.1');
    expect((await project.node('mock.mjs')).trim()).toBe('127.0.0.1');
  });
});

describe('connectly-cli', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project(['connectly-cli', 'connectly-agent-graph', 'connectly-agent-graph-mock']);
  }, 300_000);
  afterAll(() => project?.remove());

  it('npx connectly --version prints the package version', async () => {
    expect((await project.npx(['connectly', '--version'])).trim()).toBe('0.1.0');
  });

  it('npx connectly send streams the embedded mock agent reply as NDJSON', async () => {
    const out = await project.npx(['connectly', 'send', 'I want a gift', '--json'], {
      CONNECTLY_API_KEY: '',
      CONNECTLY_BASE_URL: '',
    });
    const types = out
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toContain('messageEvent');
    expect(types).toContain('recommendationEvent');
  });
});

describe('connectly-session-redis', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project(['connectly-session-redis', 'connectly-agent-graph'], ['ioredis@6.0.0']);
  }, 300_000);
  afterAll(() => project?.remove());

  it('loads from require() and import, and uses the same client package (its errors are the client ones)', async () => {
    const script = (load: string): string => `${load}
      const refused = (Store) => { try { new Store({}); } catch (e) { return e instanceof ConnectlyValidationError; } };
      console.log(refused(RedisSessionStore) && refused(RedisConversationStore));`;
    project.write(
      'store.cjs',
      script(
        "const { RedisSessionStore, RedisConversationStore } = require('connectly-session-redis'); const { ConnectlyValidationError } = require('connectly-agent-graph');",
      ),
    );
    project.write(
      'store.mjs',
      script(
        "import { RedisSessionStore, RedisConversationStore } from 'connectly-session-redis'; import { ConnectlyValidationError } from 'connectly-agent-graph';",
      ),
    );
    expect((await project.node('store.cjs')).trim()).toBe('true');
    expect((await project.node('store.mjs')).trim()).toBe('true');
  });
});

const NEST_APP = (load: string): string => `${load}
const decorate = (d, t) => d(t) || t;
class AppModule {}
decorate(Module({ imports: [ConnectlyModule.forRoot({ apiKey: 'probe-key', businessId: 'b', baseUrl: process.env.MOCK_URL })] }), AppModule);
const ctx = await NestFactory.createApplicationContext(AppModule, { logger: false });
const service = ctx.get(ConnectlyService);
const reply = await service.session({ clientKey: 'c' }).reply('I want a gift');
const error = await service.reply({ clientKey: 'c', sessionId: 'unknown-session', text: 'Hi' }).catch((e) => e);
console.log(JSON.stringify({ products: reply.products.length, apiError: error instanceof ConnectlyApiError }));
await ctx.close();
`;

describe('nestjs-connectly', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project(
      ['nestjs-connectly', 'connectly-agent-graph'],
      [...NEST, 'typescript@5.9.3', '@types/node@20.19.43'],
    );
  }, 300_000);
  afterAll(() => project?.remove());

  it('a CommonJS app gets ConnectlyService and the client errors from nestjs-connectly alone', async () => {
    project.write(
      'app.cjs',
      `(async () => {${NEST_APP(`require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ConnectlyModule, ConnectlyService, ConnectlyApiError } = require('nestjs-connectly');`)}})();`,
    );
    expect(JSON.parse(await project.node('app.cjs', env()))).toEqual({ products: 3, apiError: true });
  });

  it('re-exports the whole core as the very same objects, so instanceof holds across both imports', async () => {
    project.write(
      'same.cjs',
      `const nest = require('nestjs-connectly');
const core = require('connectly-agent-graph');
const names = Object.keys(core);
console.log(JSON.stringify({
  missing: names.filter((name) => !(name in nest)),
  different: names.filter((name) => nest[name] !== core[name]),
  tokens: [nest.CONNECTLY_CLIENT === core.ConnectlyClient, typeof nest.CONNECTLY_MODULE_OPTIONS],
}));`,
    );
    expect(JSON.parse(await project.node('same.cjs', env()))).toEqual({
      missing: [],
      different: [],
      tokens: [true, 'symbol'],
    });
  });

  it('an ESM app does the same with import', async () => {
    project.write(
      'app.mjs',
      NEST_APP(`import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConnectlyModule, ConnectlyService, ConnectlyApiError } from 'nestjs-connectly';`),
    );
    expect(JSON.parse(await project.node('app.mjs', env()))).toEqual({ products: 3, apiError: true });
  });

  it('TypeScript finds the request, event and error types in nestjs-connectly', () => {
    project.write(
      'app.mts',
      `import { ConnectlyService, ConnectlyApiError, ofType, type AgentEvent, type InvokeRequest } from 'nestjs-connectly';
import type { Observable } from 'rxjs';
export function turn(service: ConnectlyService, request: InvokeRequest): Observable<AgentEvent> {
  return service.invoke(request).pipe(ofType('messageEvent', 'recommendationEvent'));
}
export const isApiError = (error: unknown): boolean => error instanceof ConnectlyApiError;
`,
    );
    // NestJS's own typings need @types/node, so a Nest app has it.
    project.typecheck(
      {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
        experimentalDecorators: true,
      },
      ['app.mts'],
    );
  });

  it('ships the Jest transform that turns NestJS 12 into CommonJS', async () => {
    project.write(
      'transform.cjs',
      `const { readFileSync } = require('node:fs');
const transform = require(require.resolve('nestjs-connectly/jest-transform'));
const file = require.resolve('@nestjs/common');
const { code } = transform.process(readFileSync(file, 'utf8'), file);
console.log(JSON.stringify({ esm: /^export /m.test(readFileSync(file, 'utf8')), cjs: !/^export /m.test(code) && code.includes('require(') }));`,
    );
    expect(JSON.parse(await project.node('transform.cjs'))).toEqual({ esm: true, cjs: true });
  });
});
