// Generated blocks of BENCHMARKS.md: the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` is
// a bench's own, rewritten whole from its latest run (`--write`); the prose around it is left alone.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const BENCHMARKS = path.join(__dirname, '..', '..', 'BENCHMARKS.md');

/** `text` with the block `name` holding `lines`; throws when `text` lacks the block's markers. */
function replaceBlock(text, name, lines) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  if (!text.includes(begin) || !text.includes(end)) {
    throw new Error(`BENCHMARKS.md lacks the ${begin} … ${end} markers: add them where the figures belong`);
  }
  return `${text.slice(0, text.indexOf(begin) + begin.length)}\n${lines.join('\n')}\n${text.slice(text.indexOf(end))}`;
}

/** Rewrites the block `name` of BENCHMARKS.md with `lines`. */
function writeBlock(name, lines) {
  fs.writeFileSync(BENCHMARKS, replaceBlock(fs.readFileSync(BENCHMARKS, 'utf8'), name, lines));
}

module.exports = { BENCHMARKS, replaceBlock, writeBlock };
