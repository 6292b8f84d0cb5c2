// The saved workflows (test/n8n/workflows/*.workflow.json) in a real n8n 2.41: the package installed from
// its tarball, each workflow imported as it was saved (bound to this suite's credentials, which point at
// the mock) and run by n8n's own engine as the editor's "Execute workflow" runs it (a manual execution,
// so the trigger's pinned items are used: `n8n execute` runs in n8n's CLI mode, which ignores pinned data).
// Every node's every output must equal the same .outputs.json the jest suite (saved-workflows.spec.ts) checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { IDataObject } from 'n8n-workflow';
import {
  type CredentialRef,
  freePort,
  installCommunityPackage,
  installN8n,
  n8nCli,
  n8nEnvironment,
} from '../../support/n8n';
import { type ServedN8n, serveN8n } from '../../support/n8n-server';
import { expectedOutputs, normalized, prepareRun, readSavedWorkflow, savedWorkflowFiles } from '../saved-workflows';
import type { RunOutputs, WorkflowFile } from '../workflow-engine';

const KEY = 'n8n-saved-e2e-key-DISTINCTIVE-5138';
const SECRET = 'saved-e2e-webhook-secret';
const AGENT: CredentialRef = { id: 'credSavedAgent01', name: 'Connectly (mock)' };
const MESSAGING: CredentialRef = { id: 'credSavedMessag1', name: 'Connectly Messaging (mock)' };
const MANUAL_TRIGGER = 'n8n-nodes-base.manualTrigger';

let work: string;
let mock: MockConnectlyServer;
let n8n: ServedN8n;

/** The saved workflow as it was saved, its credentials the ones this suite imported. */
function bound(workflow: WorkflowFile): WorkflowFile {
  const nodes = workflow.nodes.map((node) => {
    if (!node.credentials) return node;
    const credentials = Object.fromEntries(
      Object.keys(node.credentials).map((type) => [type, type === 'connectlyMessagingApi' ? MESSAGING : AGENT]),
    );
    return { ...node, credentials };
  });
  return { ...workflow, nodes };
}

interface StoredExecution {
  status: string;
  data?: {
    resultData?: {
      runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: IDataObject }> | null> } }>>;
      error?: { message: string; description?: string };
    };
  };
}

/** Runs the workflow as the editor's "Execute workflow" does and waits for n8n to store the execution. */
async function runManually(workflow: WorkflowFile): Promise<StoredExecution> {
  const trigger = workflow.nodes.find((node) => node.type === MANUAL_TRIGGER);
  if (!trigger || !workflow.id) throw new Error(`${workflow.name} needs an id and a Manual Trigger`);
  const started = await n8n.rest('POST', `/workflows/${workflow.id}/run`, {
    triggerToStartFrom: { name: trigger.name },
  });
  const executionId = (started.body['data'] as { executionId?: string } | undefined)?.executionId;
  if (!executionId)
    throw new Error(`n8n did not start ${workflow.id}: ${started.status} ${JSON.stringify(started.body)}`);
  return n8n.waitFor(async () => {
    const { status, body } = await n8n.api('GET', `/executions/${executionId}?includeData=true`);
    const execution = body as unknown as StoredExecution;
    return status === 200 && !['new', 'running'].includes(execution.status) ? execution : undefined;
  }, `execution ${executionId} of ${workflow.id}`);
}

/** Each node's first run: one list of items' JSON per output, as the jest suite records them. */
function outputsOf(execution: StoredExecution): RunOutputs {
  return Object.fromEntries(
    Object.entries(execution.data?.resultData?.runData ?? {}).map(([node, runs]) => [
      node,
      (runs[0]?.data?.main ?? []).map((items) => (items ?? []).map((item) => item.json)),
    ]),
  );
}

beforeAll(async () => {
  const install = installN8n();
  work = mkdtempSync(join(tmpdir(), 'connectly-saved-e2e-'));
  const home = join(work, 'home');
  const env = {
    ...n8nEnvironment(install, home, 'connectly-saved-e2e-key-0123456789'),
    N8N_PORT: String(await freePort()),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    DB_TYPE: 'sqlite',
    EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
  };
  installCommunityPackage(home, work, env);
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz', messaging: { webhookSecret: SECRET } });
  const data = { apiKey: KEY, businessId: 'biz', baseUrl: await mock.start() };
  writeFileSync(
    join(work, 'credentials.json'),
    JSON.stringify([
      { ...AGENT, type: 'connectlyApi', data },
      { ...MESSAGING, type: 'connectlyMessagingApi', data: { ...data, webhookSecret: SECRET } },
    ]),
  );
  await n8nCli(install.bin, env, work, ['import:credentials', '--input=credentials.json']);
  const workflows = savedWorkflowFiles.map((file) => bound(readSavedWorkflow(file)));
  writeFileSync(join(work, 'workflows.json'), JSON.stringify(workflows));
  await n8nCli(install.bin, env, work, ['import:workflow', '--input=workflows.json']);
  n8n = await serveN8n(install.bin, env, work);
}, 1_800_000);

afterAll(async () => {
  await n8n?.stop();
  await mock?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 30_000);

describe.each(savedWorkflowFiles)('the saved workflow %s, run by n8n 2.41', (file) => {
  beforeEach(() => prepareRun(mock));
  afterEach(() => mock.waitForIdle(3000).catch(() => undefined));

  it('outputs what its .outputs.json says: every output of every node', async () => {
    const execution = await runManually(readSavedWorkflow(file));
    const error = execution.data?.resultData?.error;
    expect({ status: execution.status, error: error && `${error.message} ${error.description ?? ''}` }).toEqual({
      status: 'success',
      error: undefined,
    });
    expect(normalized(outputsOf(execution))).toEqual(expectedOutputs(file));
  }, 180_000);
});
