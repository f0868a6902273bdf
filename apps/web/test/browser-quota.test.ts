/**
 * Browser end to end with quotas on: the page says clearly why an answer stopped or a
 * question was refused (the daily output-token quota), and shows the user's usage today.
 * Debian's chromium driven by playwright-core, like browser.test.ts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const webDir = fileURLToPath(new URL('../dist/', import.meta.url));
const TOKENS_PER_DAY = 40;

describe.skipIf(!existsSync(CHROMIUM))('web chat under a daily token quota', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    stack = await startLocalStack({
      webDir,
      stateFile: false,
      model: { timeToFirstTokenMs: 20, tokensPerSecond: 100, outputTokens: 200 },
      quotas: { outputTokensPerDayPerOwner: TOKENS_PER_DAY },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.goto(stack.config.webUrl!);
    await page.getByTestId('prompt').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function ask(text: string) {
    await page.getByTestId('prompt').fill(text);
    await page.getByTestId('send').click();
  }

  it('shows usage today, why an answer stopped, and why the next question is refused', async () => {
    await expect
      .poll(() => page.getByTestId('usage').textContent(), { timeout: 10_000 })
      .toBe('Today: no usage yet');
    await ask('Tell me everything.');
    const answer = page.getByTestId('assistant-turn').last();
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 20_000 }).toBe('error');
    expect(await answer.getByTestId('error').textContent()).toMatch(
      /^This answer was stopped: you used your output tokens for today\. Try again in \d+ (h|min|s)/,
    );
    await expect
      .poll(() => page.getByTestId('usage').textContent(), { timeout: 10_000 })
      .toMatch(new RegExp(`^Today: \\d+ output tokens \\(of ${TOKENS_PER_DAY}\\) · 1 answer$`));

    await ask('And more?');
    await expect
      .poll(() => page.getByTestId('assistant-turn').count(), { timeout: 10_000 })
      .toBe(2);
    const refused = page.getByTestId('assistant-turn').last();
    await expect.poll(() => refused.getAttribute('data-status'), { timeout: 10_000 }).toBe('error');
    expect(await refused.getByTestId('error').textContent()).toMatch(
      new RegExp(
        `^You used \\d+ of your ${TOKENS_PER_DAY} output tokens for today\\. Try again in`,
      ),
    );
    await page.screenshot({ path: `${artifacts}quota.png`, fullPage: true });
  }, 60_000);
});
