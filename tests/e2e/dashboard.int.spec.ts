import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { API_KEY, launchChromium, startCallbackReceiver, startScheduledStack, startTargetServer, submitBatch, waitFor, type CallbackReceiver, type ScheduledStack, type TargetServer } from '@parc/testing';

/** Where the screenshot under load is written (the repository's tmp/, ignored by git); docs/dashboard.png is copied from it. */
const SCREENSHOT = join(__dirname, '../../tmp/test-output/dashboard-under-load.png');

/**
 * Small enough that the load needs more callers: a caller holds 8 calls of ~0.5 s, so it finishes
 * ~16/s and the scheduler adds callers (up to 3) within seconds of the load starting.
 */
const POLICY = {
  stages: { 'parc-caller': { ratePerInstance: 15, max: 3 } },
  caller: { minParallelism: 8, maxParallelism: 8 },
  scaleDownCooldownMs: 5_000,
  parcs: { max: 1 },
};

/** What the page shows, read from its DOM (the data-* attributes the script writes beside the text). */
interface PageReading {
  readonly keyDialogOpen: boolean;
  readonly totalBacklog: number;
  readonly callers: number;
  readonly decisions: readonly string[];
  readonly batchPercent: number | undefined;
  readonly batchComplete: boolean;
  readonly freshness: string;
}

/**
 * Reads the page in the browser. A string, not a function: the tests are typed without the DOM
 * library (adding it would change Node's stream types for the whole program).
 */
const READ_PAGE = `(batch) => {
  const queues = Array.from(document.querySelectorAll('[data-queue]'));
  const bar = batch ? document.querySelector('[data-batch="' + batch + '"]') : null;
  const caller = document.querySelector('[data-stage="p1/parc-caller"]');
  const dialog = document.getElementById('key-dialog');
  return {
    keyDialogOpen: dialog !== null && dialog.open === true,
    totalBacklog: queues.reduce((sum, queue) => sum + Number(queue.dataset.backlog || 0), 0),
    callers: caller ? Number(caller.dataset.instances) : 0,
    decisions: Array.from(document.querySelectorAll('#decisions tr[data-decision]')).map((row) => row.innerText),
    batchPercent: bar ? Number(bar.dataset.percent) : undefined,
    batchComplete: bar !== null && bar.dataset.complete === 'true',
    freshness: (document.getElementById('freshness') || {}).textContent || '',
  };
}`;

async function readPage(page: Page, batchId: string | undefined): Promise<PageReading> {
  return page.evaluate(`(${READ_PAGE})(${JSON.stringify(batchId ?? null)})`) as Promise<PageReading>;
}

describe('the dashboard in a real browser (Debian Chromium) on the multi-process stack run by the scheduler', () => {
  let target: TargetServer;
  let receiver: CallbackReceiver;
  let stack: ScheduledStack;
  let browser: Browser;
  let proxyUrl: string;
  let dashboardUrl: string;

  beforeAll(async () => {
    [target, receiver, browser] = await Promise.all([startTargetServer(), startCallbackReceiver(), launchChromium()]);
    stack = await startScheduledStack({
      egressAllowList: [target.url, receiver.url].map((url) => `127.0.0.1:${new URL(url).port}`).join(','),
      policy: POLICY,
      databases: [5, 6],
    });
    proxyUrl = stack.proxyUrl;
    dashboardUrl = `${stack.scheduler.url}/dashboard`;
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await Promise.all([target?.close(), receiver?.close()]);
  }, 60_000);

  it('refuses the state without the operator key, with a precise 401', async () => {
    const refused = await fetch(`${dashboardUrl}/state`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'send an API key as Authorization: Bearer <key>' } });
    const page = await fetch(dashboardUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('asks for the key, then shows the load moving: backlog and instances change, a decision appears, the batch bar reaches 100 %', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dashboardUrl);
    await page.waitForSelector('#key-dialog[open]', { timeout: 10_000 });
    await page.fill('#key-input', API_KEY);
    await page.click('#key-submit');
    await page.waitForSelector('[data-stage="p1/parc-caller"]', { timeout: 20_000 });
    const before = await readPage(page, undefined);
    expect(before.keyDialogOpen).toBe(false);
    expect(before.callers).toBe(1);

    // The tracked batch, then more load for 12 s so that the callers have to scale.
    const tracked = await submitBatch(proxyUrl, { requests: Array.from({ length: 200 }, (_, i) => ({ url: target.urlFor(`/tracked/${i}`, { latencyMs: 500 }) })), callback: { url: receiver.url } });
    const sent = new Set(tracked.ids);
    const readings: PageReading[] = [];
    let screenshotTaken = false;
    let loading = true;
    const load = (async () => {
      for (let second = 0; second < 12 && loading; second++) {
        const { ids } = await submitBatch(proxyUrl, { requests: Array.from({ length: 60 }, (_, i) => ({ url: target.urlFor(`/load${second}/${i}`, { latencyMs: 500 }) })), callback: { url: receiver.url } });
        ids.forEach((id) => sent.add(id));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();

    const done = await waitFor(
      'the tracked batch at 100 % on the page, after more callers and a decision were shown',
      async () => {
        const reading = await readPage(page, tracked.batchId);
        readings.push(reading);
        if (!screenshotTaken && reading.callers > 1 && reading.totalBacklog > 0) {
          mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
          await page.screenshot({ path: SCREENSHOT, fullPage: true });
          screenshotTaken = true;
        }
        const scaled = readings.some((r) => r.callers > 1);
        return scaled && reading.decisions.length > 0 && reading.batchPercent === 100 && reading.batchComplete ? reading : undefined;
      },
      150_000,
      500,
    );
    loading = false;
    await load;

    const backlogs = new Set(readings.map((r) => r.totalBacklog).filter((backlog) => backlog > 0));
    expect(backlogs.size).toBeGreaterThan(1);
    expect(Math.max(...readings.map((r) => r.callers))).toBeGreaterThan(1);
    expect(done.decisions.some((text) => /parc-caller/.test(text) && /instances 1 → [23]/.test(text))).toBe(true);
    // The bar moved through the batch rather than jumping from nothing to done.
    expect(readings.some((r) => r.batchPercent !== undefined && r.batchPercent > 0 && r.batchPercent < 100)).toBe(true);
    expect(done.freshness).toMatch(/^live/);
    expect(screenshotTaken).toBe(true);
    expect(errors).toEqual([]);
    // Everything submitted is called back: the page watched a real run, not a stalled one.
    await waitFor('every request called back', () => new Set(receiver.deliveries.map((d) => d.id)).size >= sent.size, 120_000, 500);
    process.stdout.write(`dashboard screenshot under load: ${SCREENSHOT}\n`);
    await page.close();
  }, 360_000);
});
