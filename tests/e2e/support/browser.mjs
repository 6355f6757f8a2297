// System Chromium through playwright-core (never a downloaded browser), with guards every test shares:
// any request to a non-localhost origin fails the test, and so does any console error or page error.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
mkdirSync(ARTIFACTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // Autoplay without a gesture: the desks' alert sounds (ui/cues.ts) can play in a page that was reloaded.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A browser context with guards. `problems` collects off-origin requests, console errors and page errors;
 * tests assert it is empty. `allowConsole` lists substrings of console errors that are expected (e.g. a
 * websocket refused while the server is down on purpose).
 */
export async function guardedContext(browser, base, options = {}) {
  const { allowConsole = [], allow404 = [], allow403 = [], ...contextOptions } = options;
  const context = await browser.newContext({ baseURL: base, ...contextOptions });
  const problems = [];
  const origin = new URL(base).origin;
  context.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    const u = new URL(url);
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') problems.push(`off-origin request: ${url}`);
    else if (u.origin !== origin && !(u.protocol === 'ws:' && u.host === new URL(base).host)) problems.push(`other-origin request: ${url}`);
  });
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (allowConsole.some((s) => text.includes(s))) return;
      // A 404 is logged by Chromium as "Failed to load resource"; it is expected only for optional endpoints
      // (client-config is optional by design) and for endpoints the server under test does not have yet.
      const at = msg.location()?.url ?? '';
      if (text.includes('404') && allow404.some((p) => at.includes(p))) return;
      // A 403 is expected only where a test makes a subject leave the page's scope while the page may be
      // reading it (the page then drops it); the test names those paths, and may add to the list as it goes.
      if (text.includes('403') && allow403.some((p) => at.includes(p))) return;
      problems.push(`console error on ${page.url()}: ${text}${at ? ` (${at})` : ''}`);
    });
    page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  };
  context.on('page', watch);
  return { context, problems };
}

export async function loginAs(page, username, password = 'siaga112') {
  await page.goto('/');
  await page.getByLabel(/Nama pengguna|Username/).fill(username);
  await page.getByLabel(/Kata sandi|Password/).fill(password);
  await page.getByRole('button', { name: /Masuk|Sign in/ }).click();
  await page.waitForSelector('[data-testid="who"]');
}

export async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: false });
}
