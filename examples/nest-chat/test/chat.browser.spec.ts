// The chat example in a real browser: Debian's Chromium driven by playwright-core, against the example
// app and its mock Connectly server, each in its own process on 127.0.0.1.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../../test/support/chromium.js';
import { type AppProcess, root, startApp } from './app-process.js';

let app: AppProcess;
let url: string;
let browser: Browser;

beforeAll(async () => {
  // Without CONNECTLY_API_KEY the app starts its own mock Connectly server (paced, so streaming shows).
  app = await startApp({ CONNECTLY_API_KEY: '', REDIS_URL: '' });
  url = app.url;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it('streams the reply, shows product cards and a handover banner', async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');

  await page.fill('#text', 'I want a festive gift for my wife');
  await page.press('#text', 'Enter');
  // The mock paces its lines 250 ms apart: the first message shows before the products exist.
  await page.getByText('Here are a few festive ideas she might love:').waitFor();
  expect(await page.locator('[data-testid="product-card"]').count()).toBe(0);
  await page.locator('[data-testid="product-card"]').nth(2).waitFor();
  const cards = await page.locator('[data-testid="product-card"] h3').allTextContents();
  expect(cards).toEqual(['Aurora Silk Scarf', 'Juniper Candle Set', 'Starlight Earrings']);
  await page.getByText('Do you gift-wrap?').waitFor();

  await expect(page.locator('[data-testid="handover-banner"]').isVisible()).resolves.toBe(false);
  await page.waitForSelector('#send:not([disabled])');
  await page.fill('#text', 'Can I talk to a human, please?');
  await page.press('#text', 'Enter');
  const banner = page.locator('[data-testid="handover-banner"]');
  await banner.waitFor({ state: 'visible' });
  expect(await banner.textContent()).toBe(
    'A teammate will take over this conversation: The customer asked to talk to a human.',
  );
  expect(await page.locator('[data-testid="agent-message"]').count()).toBe(2);

  await page.screenshot({ path: join(root, 'examples/nest-chat/test-output/chat.png') });
  await page.close();
}, 60_000);
