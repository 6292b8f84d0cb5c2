// Drives n8n's editor in Debian's Chromium: a real n8n (the packed package installed as a community
// package) with its owner account, signed in through the sign-in page, workflows opened, chatted with
// and photographed (in the Chromium of ./chromium). Used by the editor's browser test and by
// scripts/screenshot-workflow.ts.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page, selectors } from 'playwright-core';
import { type CredentialRef, freePort, installCommunityPackage, installN8n, n8nEnvironment, stopN8n } from './n8n';

const OWNER = { email: 'owner@example.com', firstName: 'Ada', lastName: 'Owner', password: 'Editor-owner-Passw0rd' };
/** The window of every page, and so the size of every picture: a laptop screen. */
export const VIEWPORT = { width: 1280, height: 800 };

export interface EditorN8n {
  /** e.g. http://127.0.0.1:41234 */
  base: string;
  /** Creates a workflow as the owner (n8n's REST API) and returns its id. */
  createWorkflow(workflow: object): Promise<string>;
  /** Creates a credential as the owner and returns its id and name, ready to bind to nodes. */
  createCredential(credential: { name: string; type: string; data: Record<string, unknown> }): Promise<CredentialRef>;
  /** The end of n8n's log, for failure messages. */
  logTail(): string;
  /** Stops n8n (and its task runners) and removes its data. */
  stop(): Promise<void>;
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Installs n8n (cached) and the packed package into a fresh data folder, starts `n8n start` on a free
 * loopback port and sets up its owner account. Minutes the first time n8n is installed, then seconds.
 */
export async function startEditorN8n(): Promise<EditorN8n> {
  const install = installN8n();
  const work = mkdtempSync(join(tmpdir(), 'connectly-n8n-editor-'));
  const home = join(work, 'home');
  const port = await freePort();
  const env = {
    ...n8nEnvironment(install, home, 'connectly-editor-encryption-key-0123456789'),
    N8N_PORT: String(port),
    N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    // The address n8n gives for its webhooks and forms: Connectly (the mock) and the browser reach it on 127.0.0.1.
    WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    DB_TYPE: 'sqlite',
  };
  installCommunityPackage(home, work, env);
  const logFile = join(work, 'n8n.log');
  const log = createWriteStream(logFile);
  // Its own process group, so that stopping it also ends the task runners it starts.
  const child = spawn(install.bin, ['start'], { env, cwd: work, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const logTail = () => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return `--- end of n8n's log ---\n${text.split('\n').slice(-40).join('\n')}`;
  };
  const stop = async () => {
    await stopN8n(child);
    // Whatever task runner outlived it is still in its group.
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // None did.
    }
    log.end();
    rmSync(work, { recursive: true, force: true });
  };

  const base = `http://127.0.0.1:${port}`;
  try {
    // /healthz answers while every other path still says "n8n is starting up"; readiness waits for that.
    await until(async () => (await fetch(`${base}/healthz/readiness`)).ok, 180_000, 'n8n becoming ready', logTail);
    const headers = { 'content-type': 'application/json', 'browser-id': 'connectly-editor-setup' };
    const setup = await fetch(`${base}/rest/owner/setup`, { method: 'POST', headers, body: JSON.stringify(OWNER) });
    const owner = await setup.text();
    if (!setup.ok || !owner.includes(OWNER.email)) throw new Error(`owner setup failed: ${setup.status} ${owner}`);
    const cookie = (setup.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
    const create = async (path: string, body: object) => {
      const response = await fetch(`${base}/rest${path}`, {
        method: 'POST',
        headers: { ...headers, cookie },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST /rest${path} failed: ${response.status} ${text}`);
      return (JSON.parse(text) as { data: { id: string; name: string } }).data;
    };
    return {
      base,
      createWorkflow: async (workflow) => (await create('/workflows', workflow)).id,
      createCredential: async (credential) => {
        const { id, name } = await create('/credentials', credential);
        return { id, name };
      },
      logTail,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A new window signed in as the owner through n8n's sign-in page. Waits are generous: the machine may be busy. */
export async function signIn(browser: Browser, n8n: EditorN8n): Promise<Page> {
  // n8n marks its controls with data-test-id, not Playwright's default data-testid.
  selectors.setTestIdAttribute('data-test-id');
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(`${n8n.base}/signin`);
  const form = page.getByTestId('signin-form');
  await form.locator('input[name="emailOrLdapLoginId"]').fill(OWNER.email);
  await form.locator('input[name="password"]').fill(OWNER.password);
  await form.getByTestId('form-submit-button').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  return page;
}

/**
 * Creates a workflow from a workflow file (as exported by n8n, e.g. examples/n8n/*.json) with every
 * Connectly node bound to `credential`, opens it and fits the canvas to its nodes.
 */
export async function openWorkflowFile(
  page: Page,
  n8n: EditorN8n,
  file: string,
  credential: CredentialRef,
): Promise<void> {
  // The file's own `id` is for `n8n import:workflow`; the editor gives the new workflow an id of its own.
  const { id: _fileId, ...workflow } = JSON.parse(readFileSync(file, 'utf8')) as {
    id?: string;
    nodes: Array<{ credentials?: Record<string, unknown> }>;
  };
  for (const node of workflow.nodes) {
    if (node.credentials?.['connectlyApi']) node.credentials['connectlyApi'] = credential;
  }
  const id = await n8n.createWorkflow(workflow);
  await page.goto(`${n8n.base}/workflow/${id}`);
  await page.getByTestId('canvas-node').first().waitFor();
  await fitCanvas(page);
}

/** n8n's "zoom to fit", then a moment for the canvas to finish its animation. */
export async function fitCanvas(page: Page): Promise<void> {
  await page.getByTestId('zoom-to-fit').click();
  await page.waitForTimeout(800);
}

/** Types a message into the editor's chat (opening it if closed) and waits until its execution has succeeded. */
export async function chatInEditor(page: Page, message: string): Promise<void> {
  const input = page.getByTestId('chat-input');
  if (!(await input.isVisible())) await page.getByTestId('workflow-chat-button').click();
  // A notification left from an earlier run would pass for this run's.
  await dismissNotifications(page);
  await input.fill(message);
  await input.press('Enter');
  // n8n's notification at the end of a run: success, or the problem (then say which).
  const outcome = page
    .getByText(/^(Workflow executed successfully|Problem in node|Problem executing workflow)/)
    .first();
  await outcome.waitFor();
  const said = await outcome.innerText();
  if (!said.startsWith('Workflow executed successfully')) {
    const details = await outcome.locator('xpath=ancestor::*[contains(@class, "el-notification")][1]').innerText();
    throw new Error(`the chat's execution failed: ${details}`);
  }
}

async function dismissNotifications(page: Page): Promise<void> {
  for (const close of await page.locator('.el-notification__closeBtn').all()) await close.click();
  await page.locator('.el-notification').first().waitFor({ state: 'detached' });
}

/** Saves a PNG of the window, without n8n's passing notifications (they would cover the canvas). */
export async function screenshot(page: Page, path: string): Promise<void> {
  await dismissNotifications(page);
  // The pointer off the panels, so that no row or column shows as hovered.
  await page.mouse.move(VIEWPORT.width / 2, 5);
  await page.screenshot({ path, type: 'png' });
}
