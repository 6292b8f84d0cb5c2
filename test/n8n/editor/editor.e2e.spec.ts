// The Connectly node in n8n's editor, as a no-code user meets it in Chromium: found by searching the node
// panel, added after a Chat Trigger with Text and Customer Key already mapped, answering in the editor's chat;
// the example workflow opened and photographed; the node's action list, with no Custom API Call, and the
// outputs each operation shows on the canvas. UPDATE_SCREENSHOTS=1 also rewrites the README's picture and
// saves the action list and outputs pictures next to it; otherwise those go to connectly-editor-pictures in
// the system's temporary folder, kept after the run to be looked at.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { CredentialRef } from '../../support/n8n';
import { launchChromium } from '../../support/chromium';
import {
  type EditorN8n,
  VIEWPORT,
  chatInEditor,
  fitCanvas,
  openWorkflowFile,
  screenshot,
  signIn,
  startEditorN8n,
} from '../../support/n8n-editor';

const root = join(__dirname, '..', '..', '..');
const KEY = 'editor-e2e-key-DISTINCTIVE-7731';
const UPDATE_SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';
const README_PICTURE = join(root, 'docs', 'images', 'n8n-chat-trigger-connectly.png');
/** Where the pictures of the action list and the outputs go: the README's folder only when retaking pictures. */
const PICTURES = UPDATE_SCREENSHOTS ? join(root, 'docs', 'images') : join(tmpdir(), 'connectly-editor-pictures');
const GIFT = 'I want a festive gift for my wife';

let mock: MockConnectlyServer;
let n8n: EditorN8n;
let credential: CredentialRef;
let browser: Browser;
let page: Page;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'connectly-editor-test-'));
  mock = new MockConnectlyServer({ apiKey: KEY, businessId: 'biz' });
  const baseUrl = await mock.start();
  n8n = await startEditorN8n();
  credential = await n8n.createCredential({
    name: 'Connectly account',
    type: 'connectlyApi',
    data: { apiKey: KEY, businessId: 'biz', baseUrl },
  });
  browser = await launchChromium();
  page = await signIn(browser, n8n);
}, 1_800_000);

afterAll(async () => {
  await browser?.close();
  await n8n?.stop();
  await mock?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 60_000);

/** Whether the node panel lists Connectly for a search, and what it lists (bounded wait: the list follows the typing). */
async function search(term: string): Promise<{ found: boolean; listed: string[] }> {
  await page.getByTestId('node-creator-search-bar').fill(term);
  const found = await page
    .getByTestId('node-creator-item-name')
    .getByText('Connectly', { exact: true })
    .waitFor({ timeout: 20_000 })
    .then(
      () => true,
      () => false,
    );
  return { found, listed: await page.getByTestId('node-creator-item-name').allTextContents() };
}

/** A parameter's field in the open node panel, by the parameter's name. */
const field = (name: string) => page.getByTestId(`parameter-input-${name}`);

/** What an expression field resolved to, as previewed under it (n8n renders spaces as no-break spaces). */
const preview = async (name: string) =>
  (await page.getByTestId(`parameter-expression-preview-${name}`).innerText()).replace(/\s+/g, ' ').trim();

/** The parameter row (label, field, hint) whose label reads `label`. */
const row = (label: string) =>
  page.getByTestId('parameter-item').filter({ has: page.getByTestId('input-label').getByText(label, { exact: true }) });

/** PNG width and height, from the IHDR chunk that opens every PNG. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("building Chat Trigger → Connectly in n8n's editor", () => {
  it('adds a Chat Trigger to a new workflow', async () => {
    await page.goto(`${n8n.base}/workflow/new`);
    await page.getByTestId('canvas-plus-button').click();
    await page
      .getByTestId('node-creator-node-item')
      .filter({ has: page.getByTestId('node-creator-item-name').getByText('On chat message', { exact: true }) })
      .click();
    // n8n opens the new trigger's panel; close it to go on from the canvas.
    await page.getByTestId('ndv-close-button').click();
    await page.getByTestId('ndv').waitFor({ state: 'hidden' });
    await expect(page.getByTestId('canvas-node').allInnerTexts()).resolves.toEqual([
      expect.stringContaining('When chat message received'),
    ]);
  }, 180_000);

  it('the node panel after the trigger finds Connectly by "whatsapp", "chatbot", "agent" and "handover"', async () => {
    await page
      .getByTestId('canvas-node')
      .filter({ hasText: 'When chat message received' })
      .getByTestId('canvas-handle-plus')
      .click();
    for (const term of ['whatsapp', 'chatbot', 'agent', 'handover']) {
      const { found, listed } = await search(term);
      expect({ term, found, listed }).toEqual({ term, found: true, listed: expect.arrayContaining(['Connectly']) });
    }
  }, 180_000);

  it('picking Connectly → "Send a message and stream the reply" maps Text and Customer Key from the Chat Trigger', async () => {
    expect((await search('whatsapp')).found).toBe(true);
    await page
      .getByTestId('item-iterator-item')
      .filter({ has: page.getByTestId('node-creator-item-name').getByText('Connectly', { exact: true }) })
      .click();
    const actions = await page.getByTestId('node-creator-item-name').allTextContents();
    expect(actions).toEqual(
      expect.arrayContaining(['Send a message and stream the reply', 'Send a message and wait for the whole reply']),
    );
    await page
      .getByTestId('item-iterator-item')
      .filter({ hasText: 'Send a message and stream the reply' })
      .first()
      .click();
    await page.getByTestId('ndv').waitFor();

    await expect(field('operation').locator('input').first().inputValue()).resolves.toBe('Send Message');
    // Both fields hold expressions (n8n's expression editor, not a plain text box) with the Chat Trigger's fields.
    await expect(field('text').getByTestId('inline-expression-editor-input').innerText()).resolves.toBe(
      '{{ $json.chatInput }}',
    );
    await expect(field('clientKey').getByTestId('inline-expression-editor-input').innerText()).resolves.toBe(
      '{{ $json.sessionId }}',
    );
    // The only credential of its type is picked for the user.
    await expect(page.getByTestId('node-credentials-select').locator('input').first().inputValue()).resolves.toBe(
      'Connectly account',
    );
    // A hint is shown under its field, not hidden in a tooltip.
    await row('Session Memory').getByText('Remembered in the memory of this n8n instance').waitFor();
    // n8n hides hints under expression fields: the guidance for Customer Key and Text is a notice that shows.
    await page
      .getByTestId('ndv')
      .getByText('Customer Key names the conversation', { exact: false })
      .first()
      .waitFor({ timeout: 10_000 });

    await page.getByTestId('ndv-close-button').click();
    await page.getByTestId('ndv').waitFor({ state: 'hidden' });
    await expect(page.getByTestId('canvas-node').count()).resolves.toBe(2);
  }, 180_000);

  it("a message in the editor's chat reaches Connectly with the chat's session as the customer", async () => {
    mock.clearRecords();
    await chatInEditor(page, GIFT);
    await page.getByTestId('canvas-chat-body').getByText('Here are a few festive ideas she might love:').waitFor();
    const init = mock.requests.find((request) => request.endpoint === 'init');
    const customer = (init?.body as { clientKey?: string } | undefined)?.clientKey ?? '';
    expect(customer).toMatch(/^[0-9a-f]{32}$/);

    // The node's panel now previews what each default resolved to for this message.
    await page.getByTestId('canvas-node').filter({ hasText: 'Send a message and stream the reply' }).dblclick();
    await page.getByTestId('ndv').waitFor();
    await expect(preview('text')).resolves.toBe(GIFT);
    await expect(preview('clientKey')).resolves.toBe(customer);
    await page.getByTestId('output-panel').getByText('Aurora Silk Scarf').first().waitFor();

    if (UPDATE_SCREENSHOTS) {
      await screenshot(page, README_PICTURE);
      expect(pngSize(README_PICTURE)).toEqual(VIEWPORT);
    }
    await page.getByTestId('ndv-close-button').click();
  }, 180_000);
});

describe('the example workflow in the editor', () => {
  it('opens examples/n8n/chat-trigger-with-connectly.json and saves a picture of its canvas', async () => {
    await openWorkflowFile(page, n8n, join(root, 'examples', 'n8n', 'chat-trigger-with-connectly.json'), credential);
    await expect(page.getByTestId('canvas-node').allInnerTexts()).resolves.toEqual(
      expect.arrayContaining([
        expect.stringContaining('When chat message received'),
        expect.stringContaining('Connectly'),
      ]),
    );
    const picture = join(scratch, 'example.png');
    await screenshot(page, picture);
    expect(pngSize(picture)).toEqual(VIEWPORT);
  }, 180_000);

  it("streams the text, products and suggestions into the editor's chat (the example's Chat Trigger streams)", async () => {
    await chatInEditor(page, GIFT);
    const chat = page.getByTestId('canvas-chat-body');
    await chat.getByText('You can also ask:').waitFor();
    const text = await chat.innerText();
    const order = [
      'Here are a few festive ideas she might love:',
      'Aurora Silk Scarf — $49.90',
      'Juniper Candle Set — $32.00',
      'Starlight Earrings — $89.00',
      'You can also ask:',
      'Do you gift-wrap?',
    ].map((part) => text.indexOf(part));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Products are links to the shop, as n8n's chat renders the streamed Markdown.
    await expect(chat.getByRole('link', { name: 'Aurora Silk Scarf' }).getAttribute('href')).resolves.toBe(
      'https://shop.example.com/p/aurora-scarf',
    );
  }, 180_000);

  it("a call Connectly refuses fails the run in the editor with the node's error", async () => {
    mock.inject({ endpoint: '*', status: 400, times: 1 });
    await expect(chatInEditor(page, 'hello again')).rejects.toThrow(/Problem in node ‘Connectly‘[\s\S]*400/);
  }, 180_000);
});

/** The action list of the open node panel, as n8n groups it: each resource's label and the actions under it. */
async function actionList(): Promise<Record<string, string[]>> {
  await page.getByTestId('node-creator').locator('[data-keyboard-nav-type="action"]').first().waitFor();
  // Labels are the rows n8n's keyboard navigation skips (no nav type); actions carry the nav type "action".
  // The search results the list was opened from (nav type "node") may still be in the panel as it slides in.
  const rows = await page
    .getByTestId('node-creator')
    .getByTestId('item-iterator-item')
    .evaluateAll((elements) =>
      elements.map((element) => ({
        kind: element.getAttribute('data-keyboard-nav-type') ?? 'label',
        text: (element.querySelector('[data-test-id="node-creator-item-name"]') ?? element).textContent?.trim() ?? '',
      })),
    );
  const groups: Record<string, string[]> = {};
  let label = '(no label)';
  for (const { kind, text } of rows) {
    if (kind === 'label') label = text;
    else if (kind === 'action') (groups[label] ??= []).push(text);
  }
  return groups;
}

/** The output handles n8n draws on the canvas for a node: connection type, index and label, in order. */
const outputHandles = (nodeName: string) =>
  page.locator(`[data-test-id="canvas-node-output-handle"][data-node-name="${nodeName}"]`).evaluateAll((handles) =>
    handles.map((handle) => ({
      type: handle.getAttribute('data-connection-type'),
      index: Number(handle.getAttribute('data-index')),
      label: (handle as HTMLElement).innerText.trim(),
    })),
  );

/** Opens the node panel from `nodeName`'s output, picks Connectly and shows its action list. */
async function openConnectlyActions(nodeName: string): Promise<void> {
  await page
    .locator(`[data-test-id="canvas-node"][data-node-name="${nodeName}"]`)
    // The output's plus: a Connectly node also has one on its Shared State input.
    .locator('[data-test-id="canvas-handle-plus"].source')
    .click();
  expect((await search('Connectly')).found).toBe(true);
  await page
    .getByTestId('item-iterator-item')
    .filter({ has: page.getByTestId('node-creator-item-name').getByText('Connectly', { exact: true }) })
    .click();
}

/** The option names an options field of the open node panel offers (its dropdown opened, read and closed). */
async function offered(name: string): Promise<string[]> {
  const select = field(name).locator('input').first();
  await select.click();
  // Only the open dropdown's options are visible: closed ones stay in the page, hidden.
  const options = page.getByRole('option');
  await options.first().waitFor();
  const names = (await options.allInnerTexts()).map((text) => (text.split('\n')[0] ?? '').trim());
  await select.click();
  await options.first().waitFor({ state: 'hidden' });
  return names.sort();
}

/** Picks an option of an options field of the open node panel. */
async function choose(name: string, option: string): Promise<void> {
  await field(name).locator('input').first().click();
  await page.getByRole('option').filter({ hasText: option }).first().click();
  await expect(field(name).locator('input').first().inputValue()).resolves.toBe(option);
}

/** Picks an action in the open action list, then closes the panel n8n opens for the new node. */
async function pickAction(action: string): Promise<void> {
  await page
    .getByTestId('item-iterator-item')
    .filter({ has: page.getByTestId('node-creator-item-name').getByText(action, { exact: true }) })
    .click();
  await page.getByTestId('ndv').waitFor();
  await page.getByTestId('ndv-close-button').click();
  await page.getByTestId('ndv').waitFor({ state: 'hidden' });
}

describe("the Connectly node's actions and outputs in the editor", () => {
  const TRIGGER = 'Start';

  it('lists every action under its resource, and no Custom API Call', async () => {
    const id = await n8n.createWorkflow({
      name: 'Connectly actions',
      nodes: [
        {
          id: 'a1d5c1b4-5d0e-4b8e-9d2a-6f1f9c7e0a01',
          name: TRIGGER,
          type: 'n8n-nodes-base.manualTrigger',
          typeVersion: 1,
          position: [0, 0],
          parameters: {},
        },
      ],
      connections: {},
      settings: {},
    });
    await page.goto(`${n8n.base}/workflow/${id}`);
    await page.getByTestId('canvas-node').first().waitFor();
    await openConnectlyActions(TRIGGER);

    const groups = await actionList();
    const sorted = Object.fromEntries(Object.entries(groups).map(([label, actions]) => [label, [...actions].sort()]));
    expect(sorted).toEqual({
      'Agent Actions': ['Send a message and stream the reply', 'Send a message and wait for the whole reply'],
      'Health Actions': ['Check the API health'],
      'Message Actions': ['Send a message'],
      'Session Actions': ['Close a session', 'Record a human reply', 'Release a held conversation', 'Start a session'],
    });
    // Nothing in the panel offers a custom call: no action, no label, no "make a custom API call" hint. (Where n8n
    // adds Custom API Call to a node, it leaves it out of this list: the node panel's fields are checked below.)
    await expect(page.getByTestId('node-creator').innerText()).resolves.not.toMatch(/custom\s+(\S+\s+)?api\s+call/i);

    mkdirSync(PICTURES, { recursive: true });
    const picture = join(PICTURES, 'n8n-connectly-actions.png');
    await screenshot(page, picture);
    expect(pngSize(picture)).toEqual(VIEWPORT);
  }, 180_000);

  it('Message → Send shows one output on the canvas; Agent → Send Message shows Reply and Handover', async () => {
    await pickAction('Send a message');
    await openConnectlyActions('Send a message');
    await pickAction('Send a message and stream the reply');

    await expect(outputHandles('Send a message')).resolves.toEqual([{ type: 'main', index: 0, label: '' }]);
    await expect(outputHandles('Send a message and stream the reply')).resolves.toEqual([
      { type: 'main', index: 0, label: 'Reply' },
      { type: 'main', index: 1, label: 'Handover' },
    ]);

    await fitCanvas(page);
    const picture = join(PICTURES, 'n8n-connectly-outputs.png');
    await screenshot(page, picture);
    expect(pngSize(picture)).toEqual(VIEWPORT);
  }, 180_000);

  it("the node's panel offers no Custom API Call as a resource or as any resource's operation", async () => {
    await page.locator('[data-test-id="canvas-node"][data-node-name="Send a message"]').dblclick();
    await page.getByTestId('ndv').waitFor();
    const resources = await offered('resource');
    const operations: Record<string, string[]> = {};
    // Every resource the node has (a Custom API Call resource would hide the Operation field: not opened).
    for (const resource of ['Agent', 'Health', 'Message', 'Session']) {
      await choose('resource', resource);
      operations[resource] = await offered('operation');
    }
    expect({ resources, operations }).toEqual({
      resources: ['Agent', 'Health', 'Message', 'Session'],
      operations: {
        Agent: ['Send Message', 'Send Message and Wait'],
        Health: ['Check'],
        Message: ['Send'],
        Session: ['Close', 'Record Human Reply', 'Release', 'Start'],
      },
    });
    await page.getByTestId('ndv-close-button').click();
    await page.getByTestId('ndv').waitFor({ state: 'hidden' });
  }, 180_000);
});
