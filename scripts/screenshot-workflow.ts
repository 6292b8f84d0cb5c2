// Photographs a workflow file in n8n's editor: `npm run screenshot:workflow -- <workflow.json> <picture.png>
// [--chat "message"]`. A fresh n8n (the packed package installed) and a mock Connectly server, both on
// 127.0.0.1; the workflow's Connectly nodes use a credential for the mock; the canvas is fitted and saved
// as a 1280×800 PNG. With --chat, the message is first sent in the editor's chat, so the picture shows the run.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MockConnectlyServer } from 'connectly-agent-graph-mock';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/support/chromium';
import {
  type EditorN8n,
  chatInEditor,
  fitCanvas,
  openWorkflowFile,
  screenshot,
  signIn,
  startEditorN8n,
} from '../test/support/n8n-editor';

const USAGE = 'usage: npm run screenshot:workflow -- <workflow.json> <picture.png> [--chat "message"]';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { chat: { type: 'string' } } });
  const [workflowFile, picture] = positionals;
  if (positionals.length !== 2 || !workflowFile || !picture || !picture.endsWith('.png')) {
    throw new Error(`expected a workflow file and a .png to write\n${USAGE}`);
  }
  const mock = new MockConnectlyServer({ apiKey: 'screenshot-key', businessId: 'demo-business' });
  const baseUrl = await mock.start();
  let n8n: EditorN8n | undefined;
  let browser: Browser | undefined;
  try {
    n8n = await startEditorN8n();
    const credential = await n8n.createCredential({
      name: 'Connectly account',
      type: 'connectlyApi',
      data: { apiKey: 'screenshot-key', businessId: 'demo-business', baseUrl },
    });
    browser = await launchChromium();
    const page = await signIn(browser, n8n);
    await openWorkflowFile(page, n8n, resolve(workflowFile), credential);
    if (values.chat) {
      await chatInEditor(page, values.chat);
      await fitCanvas(page);
    }
    await screenshot(page, resolve(picture));
    process.stdout.write(`saved ${picture}\n`);
  } finally {
    await browser?.close();
    await n8n?.stop();
    await mock.stop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
});
