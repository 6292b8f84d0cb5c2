// The WhatsApp example as an operations person meets it in n8n's editor, in Chromium: the node panel's
// Connectly entries, a WhatsApp Messaging credential saved without its Webhook Secret, publishing while
// another system receives the business's messages (refused, then taken over on request), a handover's
// notification whose link gives the conversation back with a click, and the Executions list telling the
// runs apart. Pictures of the notification, the hand-back form and the Executions list go to
// connectly-editor-pictures in the system's temporary folder (their paths are printed).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ConnectlyMessagingClient } from 'connectly-agent-graph';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import { launchChromium } from '../../support/chromium';
import { type CredentialRef, type Recorder, example, recordPosts } from '../../support/n8n';
import { type EditorN8n, fitCanvas, screenshot, signIn, startEditorN8n } from '../../support/n8n-editor';

const KEY = 'ops-editor-key-DISTINCTIVE-3319';
const SECRET = 'ops-editor-webhook-secret';
const CUSTOMER = '+15550004242';
const OTHER_SYSTEM = 'https://crm.example.com/connectly-inbox';
const PICTURES = join(tmpdir(), 'connectly-editor-pictures');

let mock: MockConnectlyServer;
let baseUrl: string;
let slack: Recorder;
let n8n: EditorN8n;
let browser: Browser;
let page: Page;
let workflowId: string;
let otherId: string;
/** A WhatsApp Messaging credential imported without its Webhook Secret. */
let imported: CredentialRef;

const connectly = () => new ConnectlyMessagingClient({ apiKey: KEY, businessId: 'biz', baseUrl });
const registrations = () =>
  [...mock.messaging.webhooks.values()].map(({ topic, address, configuration }) => ({
    topic,
    address,
    configuration,
  }));
const ana = () => mock.customer(CUSTOMER, { name: 'Ana' });
const picture = (name: string) => {
  mkdirSync(PICTURES, { recursive: true });
  return join(PICTURES, name);
};
/** A picture of the window, its path printed for whoever looks at the run; `clean` hides n8n's notifications. */
async function photograph(name: string, clean = true): Promise<string> {
  const path = picture(name);
  if (clean) await screenshot(page, path);
  else await page.screenshot({ path, type: 'png' });
  process.stdout.write(`picture: ${path}\n`);
  return path;
}

/** Polls `probe` (bounded): the machine may be busy. */
async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s\n${n8n.logTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

beforeAll(async () => {
  mock = new MockConnectlyServer({
    apiKey: KEY,
    businessId: 'biz',
    messaging: { webhookSecret: SECRET, timeScale: 0.01 },
  });
  baseUrl = await mock.start();
  slack = await recordPosts();
  n8n = await startEditorN8n();
  const data = { apiKey: KEY, businessId: 'biz', baseUrl };
  const agent = await n8n.createCredential({ name: 'Connectly account', type: 'connectlyApi', data });
  const messaging: CredentialRef = await n8n.createCredential({
    name: 'Connectly Messaging account',
    type: 'connectlyMessagingApi',
    data: { ...data, webhookSecret: SECRET },
  });
  imported = await n8n.createCredential({
    name: 'Imported without secret',
    type: 'connectlyMessagingApi',
    data: { ...data, webhookSecret: '' },
  });
  const release = await n8n.createCredential({
    name: 'Release key',
    type: 'httpHeaderAuth',
    data: { name: 'x-release-key', value: 'ops-editor-release-secret' },
  });
  const { id: _fileId, ...workflow } = example('whatsapp-agent.json', 'unused', agent, (node) => {
    const credentials = node.credentials ?? {};
    if (credentials['connectlyMessagingApi']) credentials['connectlyMessagingApi'] = messaging;
    if (credentials['httpHeaderAuth']) credentials['httpHeaderAuth'] = release;
    if (node.name === 'Notify a human on Slack' || node.name === 'Tell the team what the customer wrote') {
      node.parameters['url'] = slack.url;
    }
  });
  workflowId = await n8n.createWorkflow({ ...workflow, name: 'WhatsApp AI agent' });
  // Another system (a CRM) receives the business's messages today.
  otherId = (
    await connectly().createWebhook({ topic: 'messages', address: OTHER_SYSTEM, configuration: { echo: false } })
  ).id;
  browser = await launchChromium();
  page = await signIn(browser, n8n);
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
  await n8n?.stop();
  await mock?.stop();
  await slack?.close();
}, 60_000);

describe("the node panel's Connectly entries", () => {
  it('searching "connectly" for a first step lists the Connectly Trigger as its own entry, with its own words', async () => {
    await page.goto(`${n8n.base}/workflow/new`);
    await page.getByTestId('canvas-plus-button').click();
    await page.getByTestId('node-creator-search-bar').fill('connectly');
    const trigger = page
      .getByTestId('item-iterator-item')
      .filter({ has: page.getByTestId('node-creator-item-name').getByText('Connectly Trigger', { exact: true }) });
    const found = await trigger.waitFor({ timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    const listed = await page.getByTestId('node-creator').innerText();
    expect({ found, listed }).toEqual({
      found: true,
      listed: expect.stringContaining('Starts the workflow when a customer writes'),
    });
    await expect(trigger.innerText()).resolves.toContain('Starts the workflow when a customer writes');
    await page.keyboard.press('Escape');
  }, 180_000);

  it('after another node, the Connectly entry describes the Connectly node, not the trigger', async () => {
    await page.goto(`${n8n.base}/workflow/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();
    await page
      .locator('[data-test-id="canvas-node"][data-node-name="Send the reply on WhatsApp"]')
      // The output's plus: a Connectly node also has one on its Shared State input.
      .locator('[data-test-id="canvas-handle-plus"].source')
      .click();
    await page.getByTestId('node-creator-search-bar').fill('connectly');
    const connectlyNode = page.getByTestId('item-iterator-item').filter({
      has: page.getByTestId('node-creator-item-name').getByText('Connectly', { exact: true }),
    });
    await connectlyNode.first().waitFor({ timeout: 20_000 });
    const texts = await connectlyNode.allInnerTexts();
    expect(texts).toEqual([expect.stringContaining('Talk to a Connectly AI agent')]);
    expect(texts.join(' ')).not.toContain('Starts the workflow');
    await page.keyboard.press('Escape');
  }, 180_000);
});

/** The editor's own credential test call (what its Test and Save run), from the signed-in page. */
async function credentialTest(
  credential: CredentialRef,
  data: Record<string, string>,
): Promise<{ status: string; message: string }> {
  return await page.evaluate(
    async ([base, body]) => {
      const response = await fetch(`${base}/rest/credentials/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'browser-id': localStorage.getItem('n8n-browserId') ?? '' },
        body,
      });
      const answer = (await response.json()) as { data?: { status: string; message: string } };
      return answer.data ?? { status: `HTTP ${response.status}`, message: JSON.stringify(answer) };
    },
    [n8n.base, JSON.stringify({ credentials: { ...credential, type: 'connectlyMessagingApi', data } })] as const,
  );
}

/** The names of the credentials n8n has saved, as the editor lists them. */
async function savedCredentials(): Promise<string[]> {
  return await page.evaluate(async (base) => {
    const response = await fetch(`${base}/rest/credentials`, {
      headers: { 'browser-id': localStorage.getItem('n8n-browserId') ?? '' },
    });
    return ((await response.json()) as { data: Array<{ name: string }> }).data.map((credential) => credential.name);
  }, n8n.base);
}

describe('a WhatsApp Messaging credential without its Webhook Secret', () => {
  it('cannot be saved in the editor (the field is marked required), and its test fails naming the field', async () => {
    await page.goto(`${n8n.base}/home/credentials`);
    await page.getByTestId('add-resource-credential').click();
    const picker = page.getByTestId('selectCredential-modal');
    await picker.getByTestId('new-credential-type-select').locator('input').first().fill('Connectly WhatsApp');
    await page.getByRole('option').filter({ hasText: 'Connectly WhatsApp Messaging API' }).first().click();
    await picker.getByTestId('new-credential-type-button').click();
    const modal = page.getByTestId('editCredential-modal');
    await modal.getByTestId('parameter-input-apiKey').locator('input').first().fill(KEY);
    await modal.getByTestId('parameter-input-businessId').locator('input').first().fill('biz');
    await modal.getByTestId('parameter-input-baseUrl').locator('input').first().fill(baseUrl);
    expect(await modal.innerText()).toMatch(/Webhook Secret\s*\*/);
    await modal.getByTestId('credential-save-button').click();
    await page.waitForTimeout(2000);
    await photograph('n8n-credential-without-secret.png', false);
    await expect(savedCredentials()).resolves.not.toContain('Connectly WhatsApp Messaging account');

    // A credential that reaches the test without one (imported, or saved by an earlier version) fails it.
    const data = { apiKey: KEY, businessId: 'biz', baseUrl };
    await expect(credentialTest(imported, { ...data, webhookSecret: '' })).resolves.toEqual({
      status: 'Error',
      message: expect.stringMatching(/^Webhook Secret is empty: enter the secret Connectly signs/),
    });
    await expect(credentialTest(imported, { ...data, webhookSecret: SECRET })).resolves.toMatchObject({
      status: 'OK',
    });

    // With the secret, the editor saves it and its test passes.
    await modal.getByTestId('parameter-input-webhookSecret').locator('input').first().fill(SECRET);
    await modal.getByTestId('credential-save-button').click();
    await modal.getByText(/Connection tested successfully/).waitFor();
    await expect(savedCredentials()).resolves.toContain('Connectly WhatsApp Messaging account');
    await page.keyboard.press('Escape');
  }, 180_000);
});

/** Opens the publish dialog and publishes; resolves with what n8n's notifications said. */
async function publish(): Promise<string> {
  await page.getByTestId('workflow-open-publish-modal-button').click();
  await page.getByTestId('workflow-publish-button').click();
  await page.locator('.el-notification').first().waitFor({ timeout: 90_000 });
  await page.waitForTimeout(1000);
  return (await page.locator('.el-notification').allInnerTexts()).join('\n');
}

describe('publishing the WhatsApp example while another system receives the messages', () => {
  it("is refused, naming the other system's address and the option to take over; nothing changes at Connectly", async () => {
    const before = registrations();
    await page.goto(`${n8n.base}/workflow/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();
    const said = await publish();
    await photograph('n8n-publish-refused.png', false);
    expect(said).toContain(OTHER_SYSTEM);
    expect(registrations()).toEqual(before);
    expect(said).toContain(
      `already go to ${OTHER_SYSTEM}: to move them here, turn on "Take Over From Another Address"`,
    );
    // The fix is named in the error's details, shown where n8n shows the trigger's problem.
    const trigger = page.locator('[data-test-id="canvas-node"][data-node-name="Connectly Trigger"]');
    await trigger.dblclick();
    await page.getByTestId('ndv').waitFor();
    await page.getByTestId('parameter-input-takeOver').waitFor();
  }, 300_000);

  it('with Take Over From Another Address on, publishing takes the messages over', async () => {
    await page.getByTestId('parameter-input-takeOver').locator('.el-switch').first().click();
    await page.getByTestId('ndv-close-button').click();
    await page.getByTestId('ndv').waitFor({ state: 'hidden' });
    const said = await publish();
    expect(said).not.toMatch(/could not be published/);
    await until(
      () => (registrations()[0]?.address.includes('/webhook/') ? true : undefined),
      'the registration pointing at n8n',
    );
    expect(registrations()).toEqual([
      {
        topic: 'messages',
        address: expect.stringContaining(`${n8n.base}/webhook/`),
        configuration: expect.objectContaining({ echo: true }),
      },
    ]);
    expect([...mock.messaging.webhooks.keys()]).toEqual([otherId]);
  }, 300_000);
});

/** The Slack message as Slack shows it: its text, and its `<url|label>` link as a link. */
function slackMessage(text: string): string {
  const escape = (value: string) => value.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = text
    .split(/(<[^|>]+\|[^>]+>)/)
    .map((part) => {
      const link = /^<([^|>]+)\|([^>]+)>$/.exec(part);
      return link
        ? `<a href="${escape(link[1] ?? '')}" style="display:inline-block;margin-top:8px;padding:8px 14px;border:1px solid #1d9bd1;border-radius:6px;color:#1264a3;font-weight:600;text-decoration:none">${escape(link[2] ?? '')}</a>`
        : escape(part).replace(/\n/g, '<br>');
    })
    .join('');
  return `<!doctype html><html><body style="font:15px/1.5 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:40px;background:#f8f8f8">
<div style="max-width:640px;background:#fff;border:1px solid #ddd;border-radius:8px;padding:16px 20px">
<div style="font-weight:700;margin-bottom:4px">n8n <span style="font-weight:400;color:#616061;font-size:12px">APP</span></div>
<div>${html}</div></div></body></html>`;
}

describe('a handover, and the click that gives the conversation back', () => {
  let notification: string;

  it("the agent hands over: the team's Slack message carries the link, and the customer's next message goes to the team", async () => {
    await ana().says('Can I talk to a human?');
    const first = await until(() => slack.received[0] as { text: string } | undefined, 'the Slack notification');
    notification = first.text;
    expect(notification).toMatch(
      /^WhatsApp customer \+15550004242 needs a person: The customer asked to talk to a human\.\nAnswer them from Connectly's inbox\. When you are done: <http:\/\/127\.0\.0\.1:\d+\/form-waiting\/\d+\?signature=[^|]+\|Give the conversation back to the AI agent>$/,
    );
    await ana().says('It is for my sister');
    await until(() => (slack.received.length >= 2 ? true : undefined), 'the second Slack message');
    expect(slack.received[1]).toEqual({
      text: `WhatsApp customer ${CUSTOMER} wrote while a person has the conversation: It is for my sister`,
    });
  }, 180_000);

  it('the Executions list tells the runs apart: the handover waits for the hand-back', async () => {
    await page.goto(`${n8n.base}/workflow/${workflowId}/executions`);
    const list = page.getByTestId('current-executions-list');
    // The held message's run succeeded; the handover's waits for the hand-back.
    const shown = await until(async () => {
      const text = await list.innerText().catch(() => '');
      return /Waiting/.test(text) && /Succeeded/.test(text) ? text : undefined;
    }, 'a waiting and a succeeded run in the list');
    expect(shown.indexOf('Succeeded')).toBeLessThan(shown.indexOf('Waiting'));
    // n8n opens its Production Checklist after a workflow's first publication: it would cover the list.
    const checklist = page.getByText('Production Checklist', { exact: true });
    if (await checklist.isVisible()) {
      await page.keyboard.press('Escape');
      await checklist.waitFor({ state: 'hidden' });
    }
    // The run the page opens by itself: its preview drawn, not a spinner.
    await page.getByTestId('canvas-node').first().waitFor({ state: 'visible' });
    await photograph('n8n-executions-told-apart.png');
  }, 180_000);

  it('clicking the link and the button gives the conversation back; the agent then hears what was said meanwhile', async () => {
    await page.setContent(slackMessage(notification));
    await photograph('n8n-handover-notification.png');
    await page.getByRole('link', { name: 'Give the conversation back to the AI agent' }).click();
    await page.getByText('Give the conversation back to the AI agent').first().waitFor();
    await expect(page.locator('body').innerText()).resolves.toContain(`Customer ${CUSTOMER} is talking with a person`);
    await photograph('n8n-hand-back-form.png');
    await page.getByRole('button', { name: /submit/i }).click();
    await page.getByText('Done: the AI agent has the conversation again.').waitFor();

    const invokes = () => mock.requests.filter((request) => request.endpoint === 'invoke').length;
    const before = invokes();
    await ana().says('Thanks!');
    await until(() => (invokes() > before ? true : undefined), "the agent's next turn");
    const last = mock.requests.filter((request) => request.endpoint === 'invoke').at(-1)?.body as {
      inputEvents: unknown[];
    };
    expect(last.inputEvents).toEqual([
      { messageEvent: { role: 'USER', content: { textContent: { text: 'It is for my sister' } } } },
      { messageEvent: { role: 'USER', content: { textContent: { text: 'Thanks!' } } } },
    ]);
  }, 180_000);

  it('unpublishing gives the messages back to the other system, set up as they were', async () => {
    await page.goto(`${n8n.base}/workflow/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();
    await fitCanvas(page);
    const response = await page.evaluate(
      async ([base, id]) => {
        const r = await fetch(`${base}/rest/workflows/${id}/deactivate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'browser-id': localStorage.getItem('n8n-browserId') ?? '' },
          body: '{}',
        });
        return r.status;
      },
      [n8n.base, workflowId],
    );
    expect(response).toBe(200);
    await until(() => (registrations()[0]?.address === OTHER_SYSTEM ? true : undefined), 'the registration given back');
    expect(registrations()).toEqual([
      {
        topic: 'messages',
        address: OTHER_SYSTEM,
        configuration: { echo: false, channelTypes: ['whatsapp'], filters: [] },
      },
    ]);
  }, 180_000);
});
