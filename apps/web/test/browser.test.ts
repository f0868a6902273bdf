/**
 * Browser end to end: Debian's chromium driven by playwright-core against the local stack
 * serving the built web app, once over http and once over https (the stack's local CA;
 * Chromium trusts the server key through --ignore-certificate-errors-spki-list, as a
 * headless browser cannot be handed a CA). Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.error(
    `\n${'!'.repeat(72)}\n!! BROWSER SUITE SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)\n${'!'.repeat(72)}\n`,
  );
}
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const webDir = fileURLToPath(new URL('../dist/', import.meta.url));
const OUTPUT_TOKENS = 60;

describe.skipIf(!haveChromium).each([
  { scheme: 'http', shots: '' },
  { scheme: 'https', shots: 'https-' },
])('web chat in Chromium over $scheme', ({ scheme, shots }) => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let tlsDir: string | null = null;
  const sockets: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    if (scheme === 'https') tlsDir = mkdtempSync(join(tmpdir(), 'bedrock-stream-web-tls-'));
    stack = await startLocalStack({
      webDir,
      ...(tlsDir ? { tls: { dir: tlsDir, port: 0 }, webHttps: true } : {}),
      model: { timeToFirstTokenMs: 100, tokensPerSecond: 40, outputTokens: OUTPUT_TOKENS },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        ...(stack.tls ? [`--ignore-certificate-errors-spki-list=${stack.tls.spkiSha256}`] : []),
      ],
    });
    page = await browser.newPage();
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.goto(stack.config.webUrl!);
    await page.getByTestId('prompt').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  });

  it(`loads the page and reaches the API over ${scheme}`, () => {
    expect(stack.config.webUrl!.startsWith(`${scheme}://`)).toBe(true);
    expect(page.url().startsWith(`${scheme}://`)).toBe(true);
  });

  async function ask(text: string) {
    await page.getByTestId('prompt').fill(text);
    await page.getByTestId('send').click();
  }

  it('streams an answer that grows over time to the deterministic text', async () => {
    const prompt = 'What is a stream?';
    await ask(prompt);
    const lengths = new Set<number>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      // One atomic read in the page: the live answer can leave the DOM between two locator calls.
      const live = await page.evaluate(
        () => document.querySelector('[data-testid="answer"]')?.textContent ?? null,
      );
      if (live === null && lengths.size > 0) break;
      if (live !== null) lengths.add(live.length);
      await page.waitForTimeout(40);
    }
    expect(lengths.size).toBeGreaterThanOrEqual(3);
    const answer = page.getByTestId('assistant-turn').last();
    await expect.poll(() => answer.getAttribute('data-status')).toBe('done');
    const expected = deterministicAnswer(
      { messages: [{ role: 'user', content: prompt }] },
      { modelId: stack.config.defaultModelId, outputTokens: OUTPUT_TOKENS },
    ).text;
    expect((await answer.locator('p').textContent())?.trim()).toBe(expected.trim());
    expect(await answer.getByTestId('figures').textContent()).toMatch(
      new RegExp(`first token \\d+ ms · [\\d.]+ tokens/s · \\d+ in / ${OUTPUT_TOKENS} out tokens`),
    );
    await page.screenshot({ path: `${artifacts}${shots}answer.png`, fullPage: true });
    // The answer streamed over the real-time endpoint of the page's own scheme.
    expect(sockets.length).toBeGreaterThan(0);
    const realtime = scheme === 'https' ? stack.config.wssRealtimeUrl! : stack.config.realtimeUrl;
    expect(sockets.every((url) => url.startsWith(realtime))).toBe(true);
  }, 40_000);

  it('Stop leaves a partial answer marked cancelled', async () => {
    await ask('Tell me everything [[tokens:400]]');
    await expect
      .poll(async () => ((await page.getByTestId('answer').textContent()) ?? '').length, {
        timeout: 10_000,
      })
      .toBeGreaterThan(20);
    await page.getByTestId('stop').click();
    const answer = page.getByTestId('assistant-turn').last();
    await expect
      .poll(() => answer.getAttribute('data-status'), { timeout: 10_000 })
      .toBe('cancelled');
    expect(((await answer.locator('p').textContent()) ?? '').length).toBeGreaterThan(0);
    expect(await answer.getByTestId('cancelled').textContent()).toBe('Stopped');
    await page.screenshot({ path: `${artifacts}${shots}cancelled.png`, fullPage: true });
  }, 40_000);

  it('shows a readable message for a model error', async () => {
    await ask('please fail [[fault:access-denied]]');
    const answer = page.getByTestId('assistant-turn').last();
    await expect.poll(() => answer.getAttribute('data-status'), { timeout: 15_000 }).toBe('error');
    expect(await answer.getByTestId('error').textContent()).toMatch(/access|denied/i);
    await page.screenshot({ path: `${artifacts}${shots}error.png`, fullPage: true });
  }, 40_000);

  it('carries the history into a second turn', async () => {
    await page.getByTestId('new-chat').click();
    await page.getByTestId('empty').waitFor();
    const first = 'Name a river.';
    const second = 'And a mountain?';
    await ask(first);
    const answers = page.getByTestId('assistant-turn');
    await expect.poll(() => answers.count(), { timeout: 15_000 }).toBe(1);
    const firstText = ((await answers.first().locator('p').textContent()) ?? '').trim();
    await ask(second);
    await expect.poll(() => answers.count(), { timeout: 15_000 }).toBe(2);
    expect(await answers.last().getAttribute('data-status')).toBe('done');
    // The model answered the whole conversation, not just the second question.
    const expected = deterministicAnswer(
      {
        messages: [
          { role: 'user', content: first },
          { role: 'assistant', content: firstText },
          { role: 'user', content: second },
        ],
      },
      { modelId: stack.config.defaultModelId, outputTokens: OUTPUT_TOKENS },
    ).text;
    const alone = deterministicAnswer(second, {
      modelId: stack.config.defaultModelId,
      outputTokens: OUTPUT_TOKENS,
    }).text;
    expect(expected).not.toBe(alone);
    expect((await answers.last().locator('p').textContent())?.trim()).toBe(expected.trim());
    expect(await page.getByTestId('user-turn').count()).toBe(2);
    await page.screenshot({ path: `${artifacts}${shots}two-turns.png`, fullPage: true });
  }, 40_000);

  it('Retry asks the last question again', async () => {
    const answers = page.getByTestId('assistant-turn');
    const before = ((await answers.last().locator('p').textContent()) ?? '').trim();
    const completed = stack.bedrock!.stats().completed;
    await page.getByTestId('retry').click();
    // A new model call ran to the end and its answer replaced the old one.
    await expect
      .poll(() => stack.bedrock!.stats().completed, { timeout: 15_000 })
      .toBe(completed + 1);
    await expect.poll(() => page.getByTestId('answer').count(), { timeout: 10_000 }).toBe(0);
    expect(await answers.count()).toBe(2);
    expect(await answers.last().getAttribute('data-status')).toBe('done');
    // Same conversation, deterministic model: the same answer again, not a third turn.
    expect(((await answers.last().locator('p').textContent()) ?? '').trim()).toBe(before);
    expect(await page.getByTestId('user-turn').count()).toBe(2);
  }, 40_000);

  /** The live answer's text, read in one step (it can leave the DOM between two calls). */
  const liveAnswer = () =>
    page.evaluate(() => document.querySelector('[data-testid="answer"]')?.textContent ?? '');

  /** Starts a long answer in a new chat and waits until part of it is on screen. */
  async function askLong(prompt: string) {
    await page.getByTestId('new-chat').click();
    await page.getByTestId('empty').waitFor();
    await ask(prompt);
    await expect
      .poll(async () => (await liveAnswer()).length, { timeout: 15_000 })
      .toBeGreaterThan(40);
    return deterministicAnswer(
      { messages: [{ role: 'user', content: prompt }] },
      { modelId: stack.config.defaultModelId, outputTokens: OUTPUT_TOKENS },
    ).text;
  }

  it('a reload mid-answer comes back to the chat and the answer streams on to its end', async () => {
    const expected = await askLong('Tell me a long story [[tokens:300]]');
    const calls = stack.bedrock!.stats().requests;
    const shown = (await liveAnswer()).length;
    await page.reload();
    await page.getByTestId('prompt').waitFor();
    // The question is back, and so is the answer: first what was stored, then live.
    expect(await page.getByTestId('user-turn').count()).toBe(1);
    const lengths = new Set<number>();
    const answer = page.getByTestId('assistant-turn').last();
    await expect
      .poll(
        async () => {
          lengths.add((await liveAnswer()).length);
          return (await page.getByTestId('assistant-turn').count()) > 0
            ? answer.getAttribute('data-status')
            : null;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBe('done');
    expect(Math.max(...lengths)).toBeGreaterThanOrEqual(shown);
    expect((await answer.locator('p').textContent())?.trim()).toBe(expected.trim());
    // Resumed, not asked again: no new model call.
    expect(stack.bedrock!.stats().requests).toBe(calls);
    await page.screenshot({ path: `${artifacts}after-reload.png`, fullPage: true });
  }, 60_000);

  it('3 s offline mid-answer: the answer finishes once the network is back', async () => {
    const expected = await askLong('Tell me about rivers [[tokens:300]]');
    const context = page.context();
    await context.setOffline(true);
    await page.waitForTimeout(3_000);
    await context.setOffline(false);
    const answer = page.getByTestId('assistant-turn').last();
    await expect
      .poll(
        async () =>
          (await page.getByTestId('assistant-turn').count()) > 0
            ? answer.getAttribute('data-status')
            : null,
        { timeout: 30_000 },
      )
      .toBe('done');
    expect((await answer.locator('p').textContent())?.trim()).toBe(expected.trim());
  }, 60_000);
});
