// Saved workflows, one file per node version and resource (test/n8n/workflows/*.workflow.json, as n8n
// exports them), run as n8n runs them against the mock server: every node's every output must equal
// the file's .outputs.json. A change to what a saved workflow of either version does fails here.
// UPDATE_WORKFLOW_OUTPUTS=1 rewrites the .outputs.json files (review the diff: it is a change of behaviour).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { IDataObject } from 'n8n-workflow';
import { type RunOutputs, type WorkflowFile, runWorkflow } from './workflow-engine';

const KEY = 'saved-workflows-key-DISTINCTIVE-6092';
const DIR = join(__dirname, 'workflows');
/** The WhatsApp customers the Message workflows write to: each wrote just now, so the 24-hour window is open. */
const CUSTOMERS = ['+5511999990101', '+5511999990111'];

let mock: MockConnectlyServer;
let credentials: IDataObject;
let messagingCredentials: IDataObject;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz', messaging: { webhookSecret: 'secret' } });
  credentials = { apiKey: KEY, businessId: 'biz', baseUrl: await mock.start() };
  messagingCredentials = { ...credentials, webhookSecret: 'secret' };
});
beforeEach(() => {
  mock.reset();
  for (const phone of CUSTOMERS) mock.messaging.noteInbound('biz', phone);
});
afterEach(() => mock.waitForIdle(3000).catch(() => undefined));
afterAll(() => mock.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Fields whose values the server makes up anew on every run. */
const GENERATED = new Set(['messageIds', 'id']);

/**
 * The outputs with what changes from run to run named by its first appearance: the same session twice
 * is `<id 1>` twice, a new one `<id 2>`; times are `<time>`.
 */
function normalized(outputs: RunOutputs): unknown {
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

const files = readdirSync(DIR)
  .filter((file) => file.endsWith('.workflow.json'))
  .sort();

it('has a saved workflow for every node version and resource', () => {
  const covered = new Set<string>();
  for (const file of files) {
    const workflow = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as WorkflowFile;
    for (const node of workflow.nodes) {
      if (node.type !== 'n8n-nodes-connectly.connectly') continue;
      covered.add(`${node.typeVersion} ${(node.parameters['resource'] as string | undefined) ?? 'agent'}`);
    }
  }
  const all = [1, 1.1].flatMap((version) =>
    ['agent', 'health', 'message', 'session'].map((resource) => `${version} ${resource}`),
  );
  expect([...covered].sort()).toEqual(all.sort());
});

describe.each(files)('the saved workflow %s', (file) => {
  it('does what it did when it was saved: every output of every node', async () => {
    const workflow = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as WorkflowFile;
    const outputs = normalized(await runWorkflow(workflow, { credentials, messagingCredentials }));
    const expected = join(DIR, file.replace(/\.workflow\.json$/, '.outputs.json'));
    if (process.env['UPDATE_WORKFLOW_OUTPUTS'] === '1')
      writeFileSync(expected, `${JSON.stringify(outputs, null, 2)}\n`);
    if (!existsSync(expected)) throw new Error(`${expected} is missing: write it with UPDATE_WORKFLOW_OUTPUTS=1`);
    expect(outputs).toEqual(JSON.parse(readFileSync(expected, 'utf8')));
  });
});
