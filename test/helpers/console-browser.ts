/**
 * The console's browser tests: Debian's Chromium (`apt-get install chromium`; scripts/test.sh installs it) driven by
 * playwright-core, whose own browser downloads are not used. axe-core is evaluated in the page through the DevTools
 * protocol (not a <script>, which the console's CSP would refuse); screenshots go to .cache/console-screenshots
 * (gitignored) and the current ones are copied into docs/console/ by hand (docs/console.md).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, sleep, startFerry, type FerryProcess } from './ferry-process.ts';

export const CHROMIUM = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(ROOT, '.cache', 'console-screenshots');
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1366, height: 900 } as const;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`the console's browser tests need Debian's chromium at ${CHROMIUM}: run "apt-get install -y chromium" (scripts/test.sh does), or set FERRY_CHROMIUM to a Chromium binary`);
  // --no-sandbox: the tests run as root (CI too), where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page; fails on any serious or critical violation, naming each. */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  // A string, run in the page: this file is type-checked without the DOM library.
  const violations = await page.evaluate(`(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) }));
  })()`) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe-core on ${where}`);
}

/** Waits until `check` returns a value that is not undefined; fails with `what` and the last value seen. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 30000): Promise<T> {
  let last: unknown;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e: unknown) {
      last = e;
    }
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
}

/** The integer a cell shows ("1,234" → 1234; "500 (reloaded)" → 500). */
export function shownInt(text: string): number {
  const m = /^-?[\d,]+/.exec(text.trim());
  if (!m) throw new Error(`not a count: ${JSON.stringify(text)}`);
  return Number(m[0].replace(/,/g, ''));
}

/** A real `ferry serve` on `port` (so a restart comes back at the same address), with its JSON start line read. */
export async function startServe(stateDir: string, port: number, env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<{ p: FerryProcess; url: string }> {
  const p = startFerry(['serve', '--port', String(port), '--state-dir', stateDir, '--json', ...args], { ...process.env, FERRY_LOG_LEVEL: 'warn', ...env });
  for (let i = 0; i < 300; i++) {
    const m = /"url": "([^"]+)"/.exec(p.stdout());
    if (m) return { p, url: m[1]! };
    if (p.child.exitCode !== null) break;
    await sleep(100);
  }
  p.child.kill('SIGKILL');
  throw new Error(`ferry serve did not start: ${p.stderr()}`);
}

export async function stopServe(p: FerryProcess): Promise<void> {
  if (p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0, p.stderr());
}
