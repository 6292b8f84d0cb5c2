// `npm run lint` runs this: fails when TypeScript files of the workspace import each other in a loop
// (type-only imports included), so the layers of each package stay one-way. Prints each loop, file by file.
'use strict';

const { existsSync, readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const SKIP = new Set(['node_modules', 'dist', 'coverage', 'dist-packages', '.git']);

function sources(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, found);
    else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

// A relative specifier as written in the sources (`./x.js`, `../y`, `./z/index.js`) to the file it names.
function resolve(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(m?js)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, path.join(base, 'index.ts')];
  return candidates.find((file) => /\.m?ts$/.test(file) && existsSync(file));
}

const files = sources(root);
const edges = new Map();
for (const file of files) {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = info.importedFiles
    .map(({ fileName }) => resolve(file, fileName))
    .filter((target) => target !== undefined);
  edges.set(file, [...new Set(targets)]);
}

// Tarjan's strongly connected components: every component of more than one file is a loop.
let index = 0;
const stack = [];
const state = new Map();
const loops = [];
function visit(file) {
  const node = { index, low: index, onStack: true };
  index += 1;
  state.set(file, node);
  stack.push(file);
  for (const next of edges.get(file) ?? []) {
    const seen = state.get(next);
    if (seen === undefined) {
      visit(next);
      node.low = Math.min(node.low, state.get(next).low);
    } else if (seen.onStack) node.low = Math.min(node.low, seen.index);
  }
  if (node.low !== node.index) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    state.get(member).onStack = false;
    component.push(member);
  } while (member !== file);
  const selfImport = (edges.get(file) ?? []).includes(file);
  if (component.length > 1 || selfImport) loops.push(component);
}
for (const file of files) if (!state.has(file)) visit(file);

if (loops.length > 0) {
  const show = (file) => path.relative(root, file);
  console.error(`Import cycles (${loops.length}): move what both sides need into a lower module, or pass it in.`);
  for (const loop of loops) {
    const members = new Set(loop);
    console.error(`- ${loop.map(show).join(', ')}`);
    for (const file of loop) {
      const inside = edges.get(file).filter((next) => members.has(next));
      console.error(`    ${show(file)} imports ${inside.map(show).join(', ')}`);
    }
  }
  process.exitCode = 1;
}
