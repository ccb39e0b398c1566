import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; no browser is ever downloaded. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Debian's Chromium under playwright-core, headless. Fails (never skips) when it is missing,
 * saying how to install it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`the browser tests need Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium), or set CHROMIUM_PATH to another Chromium`);
  }
  // As root (CI), Chromium's own sandbox cannot start; the page is our own, on loopback.
  // Loaded here, not at the top: every integration spec imports @parc/testing, few drive a browser.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
