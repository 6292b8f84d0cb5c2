// The saved workflows (test/n8n/workflows/*.workflow.json, as n8n exports them) and what each must output
// (its .outputs.json), for every suite that runs them: the jest harness and a real n8n.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { RunOutputs, WorkflowFile } from './workflow-engine';

export const WORKFLOWS_DIR = join(__dirname, 'workflows');
/** The WhatsApp customers the Message workflows write to: each must have written just before a run, so the 24-hour window is open. */
const CUSTOMERS = ['+5511999990101', '+5511999990111'];

/** What every run of a saved workflow starts from: a fresh mock, the Message workflows' customers just written in. */
export function prepareRun(mock: MockConnectlyServer): void {
  mock.reset();
  for (const phone of CUSTOMERS) mock.messaging.noteInbound('biz', phone);
}

/** The saved workflow files, by file name, sorted. */
export const savedWorkflowFiles = readdirSync(WORKFLOWS_DIR)
  .filter((file) => file.endsWith('.workflow.json'))
  .sort();

export const readSavedWorkflow = (file: string): WorkflowFile =>
  JSON.parse(readFileSync(join(WORKFLOWS_DIR, file), 'utf8')) as WorkflowFile;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Fields whose values the server makes up anew on every run. */
const GENERATED = new Set(['messageIds', 'id']);

/**
 * The outputs with what changes from run to run named by its first appearance: the same session twice
 * is `<id 1>` twice, a new one `<id 2>`; times are `<time>`.
 */
export function normalized(outputs: RunOutputs): unknown {
  const names = new Map<string, string>();
  const name = (value: string): string => {
    if (!names.has(value)) names.set(value, `<id ${names.size + 1}>`);
    return names.get(value)!;
  };
  const walk = (value: unknown, generated = false): unknown => {
    if (typeof value === 'string') {
      if (UUID.test(value) || generated) return name(value);
      return ISO_TIME.test(value) ? '<time>' : value;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, generated));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, generated || GENERATED.has(k))]));
    }
    return value;
  };
  return walk(outputs);
}

/**
 * What the saved workflow `file` must output, normalised. With `update` (the suite that defines the
 * expectations, under UPDATE_WORKFLOW_OUTPUTS=1) the file is first rewritten with `actual`.
 */
export function expectedOutputs(file: string, update?: { actual: unknown }): unknown {
  const expected = join(WORKFLOWS_DIR, file.replace(/\.workflow\.json$/, '.outputs.json'));
  if (update) writeFileSync(expected, `${JSON.stringify(update.actual, null, 2)}\n`);
  if (!existsSync(expected)) throw new Error(`${expected} is missing: write it with UPDATE_WORKFLOW_OUTPUTS=1`);
  return JSON.parse(readFileSync(expected, 'utf8'));
}
