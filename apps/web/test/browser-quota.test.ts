/**
 * Browser end to end with quotas on: the page says clearly why an answer stopped or a
 * question was refused (the daily output-token quota), and shows the user's usage today.
 * Debian's chromium driven by playwright-core, like browser.test.ts.
 */
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifacts, haveChromium, launchChromium, webDir } from './browser-helpers.js';

const TOKENS_PER_DAY = 40;

describe.skipIf(!haveChromium)('web chat under a daily token quota', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startLocalStack({
      webDir,
      stateFile: false,
      model: { timeToFirstTokenMs: 20, tokensPerSecond: 100, outputTokens: 200 },
      quotas: { outputTokensPerDayPerOwner: TOKENS_PER_DAY },
    });
    browser = await launchChromium();
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
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 20_000 }).toBe('failed');
    expect(await answer.getByTestId('error').textContent()).toMatch(
      /^This answer was stopped: you used your output tokens for today\. Try again in \d+ (h|min|s)/,
    );
    await expect
      .poll(() => page.getByTestId('usage').textContent(), { timeout: 10_000 })
      .toMatch(new RegExp(`^Today: \\d+ output tokens \\(of ${TOKENS_PER_DAY}\\) · 1 answer$`));

    // The next question is refused before any answer starts, and the page says why.
    await ask('And more?');
    await expect
      .poll(() => page.getByTestId('chat-error').textContent(), { timeout: 10_000 })
      .toMatch(
        new RegExp(
          `^You used \\d+ of your ${TOKENS_PER_DAY} output tokens for today\\. Try again in`,
        ),
      );
    await page.screenshot({ path: `${artifacts}quota.png`, fullPage: true });
  }, 60_000);
});
