// `npm run build:n8n [outdir]`: bundles the n8n nodes and their credentials as n8n loads them (CommonJS, the
// core client and RxJS inside, n8n-workflow left to n8n), with their icons and codex files, into dist/.
'use strict';

const { copyFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

// Why modules are substituted: n8n Cloud installs only verified community nodes, and n8n's verification
// scanner rejects code that reaches the global timers, `process` or `globalThis`, wherever it comes from,
// including bundled libraries. The core keeps all of those in one module, its http/platform.ts, and RxJS keeps
// the timers the bundle reaches in its timeoutProvider; the bundle gets n8n's versions of exactly those
// modules, built on n8n-workflow's timer helper, and every other line of the core and of RxJS as is.
const SUBSTITUTES = [
  {
    name: "the core's http/platform.ts",
    importer: /\/packages\/agent-graph\/src\//,
    request: /^(\.\.?\/)+(http\/)?platform(\.js)?$/,
    file: 'nodes/Connectly/shared/platform.ts',
  },
  {
    name: "RxJS's timeoutProvider",
    importer: /\/node_modules\/rxjs\/dist\/esm\/internal\//,
    request: /\/timeoutProvider$/,
    file: 'nodes/Connectly/shared/rxjs-timeout-provider.ts',
  },
];

const substitutes = {
  name: 'n8n-substitutes',
  setup(build) {
    build.onResolve({ filter: /(platform|timeoutProvider)(\.js)?$/ }, ({ path: request, importer }) => {
      const importerPath = importer.split(path.sep).join('/');
      const hit = SUBSTITUTES.find((s) => s.request.test(request) && s.importer.test(importerPath));
      return hit ? { path: path.join(root, hit.file) } : undefined;
    });
  },
};

async function build(outdir) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [
      'nodes/Connectly/Connectly.node.ts',
      'nodes/ConnectlyTrigger/ConnectlyTrigger.node.ts',
      'nodes/ConnectlyWhatsAppTrigger/ConnectlyWhatsAppTrigger.node.ts',
      'credentials/ConnectlyApi.credentials.ts',
      'credentials/ConnectlyMessagingApi.credentials.ts',
    ],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['n8n-workflow'],
    outbase: '.',
    outdir,
    logLevel: 'warning',
    metafile: true,
    // The core from its sources and RxJS from its ES modules, so only what the node uses is bundled.
    alias: {
      'connectly-agent-graph': './packages/agent-graph/src',
      'connectly-agent-graph/wire': './packages/agent-graph/src/wire/api.ts',
      rxjs: path.join(path.dirname(require.resolve('rxjs/package.json')), 'dist/esm/index.js'),
    },
    plugins: [substitutes],
  });
  // A substitute that matched nothing means the module it stands in for has moved: say so rather than
  // ship a bundle that calls the globals again.
  const inputs = new Set(Object.keys(result.metafile.inputs));
  for (const { name, file } of SUBSTITUTES) {
    if (!inputs.has(file))
      throw new Error(`${name} was not substituted by ${file}: update SUBSTITUTES in ${__filename}`);
  }
  const nodeDir = path.join(outdir, 'nodes', 'Connectly');
  mkdirSync(nodeDir, { recursive: true });
  for (const file of ['connectly.svg', 'connectly.dark.svg', 'Connectly.node.json']) {
    copyFileSync(path.join(root, 'nodes', 'Connectly', file), path.join(nodeDir, file));
  }
  // The triggers' icons are the Connectly node's (file:../Connectly/…); only their codex files are their own.
  for (const name of ['ConnectlyTrigger', 'ConnectlyWhatsAppTrigger']) {
    copyFileSync(
      path.join(root, 'nodes', name, `${name}.node.json`),
      path.join(outdir, 'nodes', name, `${name}.node.json`),
    );
  }
}

build(path.resolve(process.argv[2] ?? path.join(root, 'dist'))).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
