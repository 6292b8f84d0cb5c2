// Saved workflows, one file per node version and resource (test/n8n/workflows/*.workflow.json, as n8n
// exports them), run as n8n runs them against the mock server: every node's every output must equal
// the file's .outputs.json. A change to what a saved workflow of either version does fails here.
// UPDATE_WORKFLOW_OUTPUTS=1 rewrites the .outputs.json files (review the diff: it is a change of behaviour).
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { IDataObject } from 'n8n-workflow';
import { expectedOutputs, normalized, prepareRun, readSavedWorkflow, savedWorkflowFiles } from './saved-workflows';
import { runWorkflow } from './workflow-engine';

const KEY = 'saved-workflows-key-DISTINCTIVE-6092';

let mock: MockConnectlyServer;
let credentials: IDataObject;
let messagingCredentials: IDataObject;

beforeAll(async () => {
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz', messaging: { webhookSecret: 'secret' } });
  credentials = { apiKey: KEY, businessId: 'biz', baseUrl: await mock.start() };
  messagingCredentials = { ...credentials, webhookSecret: 'secret' };
});
beforeEach(() => prepareRun(mock));
afterEach(() => mock.waitForIdle(3000).catch(() => undefined));
afterAll(() => mock.stop());

const files = savedWorkflowFiles;

it('has a saved workflow for every node version and resource', () => {
  const covered = new Set<string>();
  for (const file of files) {
    const workflow = readSavedWorkflow(file);
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
    const outputs = normalized(await runWorkflow(readSavedWorkflow(file), { credentials, messagingCredentials }));
    const update = process.env['UPDATE_WORKFLOW_OUTPUTS'] === '1' ? { actual: outputs } : undefined;
    expect(outputs).toEqual(expectedOutputs(file, update));
  });
});
