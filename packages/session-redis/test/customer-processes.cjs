// Builds fixtures/customer-process.ts into one file (esbuild, straight from the sources) and runs copies
// of it as separate OS processes: for the multi-process tests and the bench.
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { createInterface } = require('node:readline');

const PACKAGES = resolve(__dirname, '..', '..');

/** Bundles the customer process (or another fixture); resolves with { file, dispose() }. */
async function buildCustomerProcess(fixture = 'customer-process.ts') {
  const esbuild = require('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'connectly-customer-'));
  const file = join(dir, fixture.replace(/\.ts$/, '.cjs'));
  await esbuild.build({
    entryPoints: [join(__dirname, 'fixtures', fixture)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    alias: {
      'connectly-agent-graph': join(PACKAGES, 'agent-graph', 'src', 'index.ts'),
      'connectly-session-redis': join(PACKAGES, 'session-redis', 'src', 'index.ts'),
    },
  });
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts one customer process with `settings` (see the fixture). The result collects its JSON lines in
 * `lines`; `until(predicate, timeoutMs)` waits for the lines to satisfy it; `go()` starts the sends;
 * `kill()` ends it with SIGKILL; `exited` resolves with the exit code.
 */
function startCustomer(file, settings) {
  const child = spawn(process.execPath, [file, JSON.stringify(settings)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = new Set();
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(JSON.parse(line));
    for (const check of waiters) check();
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    pid: child.pid,
    lines,
    exited,
    go: () => child.stdin.write('go\n'),
    kill: () => child.kill('SIGKILL'),
    until(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(lines)) return;
          done();
          resolve(lines);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`customer process: timed out; lines ${JSON.stringify(lines)}; stderr ${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        const onExit = () =>
          setImmediate(() => {
            if (!waiters.has(check)) return;
            done();
            if (predicate(lines)) resolve(lines);
            else reject(new Error(`customer process exited; lines ${JSON.stringify(lines)}; stderr ${stderr}`));
          });
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

module.exports = { buildCustomerProcess, startCustomer, startProcess: startCustomer };
