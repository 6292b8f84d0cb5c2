// `npm run pack`: builds, then writes every package's tarball into dist-packages/ and prints how to install them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist-packages');
const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];

function runNpm(args, options = {}) {
  return execFileSync(npm[0], [...npm[1], ...args], { cwd: root, encoding: 'utf8', ...options });
}

runNpm(['run', 'build', '--silent'], { stdio: 'inherit' });
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
// The build above is what gets packed: --ignore-scripts keeps the root's `prepare` from building again.
const packed = JSON.parse(
  runNpm(['pack', '--workspaces', '--include-workspace-root', '--ignore-scripts', '--json', '--pack-destination', out]),
);
for (const { name, filename, entryCount, size } of packed) {
  console.log(`${relative(root, join(out, filename))}  ${name}, ${entryCount} files, ${(size / 1024).toFixed(0)} kB`);
}
console.log(`
Install what you need, with the packages it depends on, in one command, e.g. for NestJS:
  npm install ${relative(root, out)}/nestjs-connectly-*.tgz ${relative(root, out)}/connectly-agent-graph-*.tgz`);
