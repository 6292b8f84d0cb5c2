// The CLI as a library: `run(argv, io)` is what the `connectly` executable calls.

export { run, USAGE, type Io } from './main.js';
export { renderEvent } from './render.js';
