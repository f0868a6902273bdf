/**
 * What the browser suites share: Debian's chromium through playwright-core (never a
 * downloaded browser), the built app's folder, screenshots, and axe-core run in the page.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.error(
    `\n${'!'.repeat(72)}\n!! BROWSER SUITE SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)\n${'!'.repeat(72)}\n`,
  );
}
export const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
export const webDir = fileURLToPath(new URL('../dist/', import.meta.url));
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Launches headless Chromium (trusting `spkiSha256`'s server key when given). */
export async function launchChromium(spkiSha256?: string): Promise<Browser> {
  mkdirSync(artifacts, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(spkiSha256 ? [`--ignore-certificate-errors-spki-list=${spkiSha256}`] : []),
    ],
  });
}

/** One axe-core violation, as much of it as a failing assertion needs to be read. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (...args: unknown[]) => Promise<unknown> } })
      .axe;
    const result = (await axe.run(document, {
      runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
    })) as {
      violations: Array<{
        id: string;
        impact: string | null;
        help: string;
        nodes: Array<{ target: string[] }>;
      }>;
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/** The text of the first element matching `selector`, read in one step (it can leave the DOM). */
export function textOf(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
}
