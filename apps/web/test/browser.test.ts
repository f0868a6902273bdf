/**
 * Browser end to end: Debian's chromium driven by playwright-core against the local stack
 * serving the built web app, with the real client on the conversation API. Each feature of
 * the chat in turn (they share one page and build on each other's conversations), then the
 * phone layout and axe-core. Screenshots go to test-artifacts/.
 */
import { Buffer } from 'node:buffer';
import { deterministicAnswer, MARKDOWN_SAMPLE } from '@org/bedrock-stream-local';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifacts,
  axeViolations,
  haveChromium,
  launchChromium,
  textOf,
  webDir,
} from './browser-helpers.js';

const OUTPUT_TOKENS = 60;
/** A 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe.skipIf(!haveChromium)('web chat in Chromium', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startLocalStack({
      webDir,
      stateFile: false,
      worker: { demoTools: true },
      model: { timeToFirstTokenMs: 100, tokensPerSecond: 40, outputTokens: OUTPUT_TOKENS },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(stack.config.webUrl!);
    await page.getByTestId('prompt').waitFor();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const answers = () => page.getByTestId('assistant-turn');
  const lastAnswer = () => answers().last();
  const expectedText = (...userTexts: string[]) =>
    deterministicAnswer(
      { messages: userTexts.map((content) => ({ role: 'user' as const, content })) },
      { modelId: stack.config.defaultModelId, outputTokens: OUTPUT_TOKENS },
    ).text;

  async function ask(text: string) {
    await page.getByTestId('prompt').fill(text);
    await page.getByTestId('send').click();
  }
  async function newChat() {
    await page.getByTestId('new-chat').click();
    await page.getByTestId('empty').waitFor();
  }
  /** Waits until the last answer has the status (and no answer is left streaming). */
  async function settles(status: string, timeout = 20_000) {
    await expect
      .poll(
        async () =>
          (await answers().count()) > 0 ? lastAnswer().getAttribute('data-status') : null,
        { timeout, interval: 50 },
      )
      .toBe(status);
  }
  const answerText = async () =>
    (
      (await lastAnswer().locator('.markdown, .plain-text').allTextContents()).join('') ?? ''
    ).trim();

  it('sends: a new chat becomes a conversation and the answer streams in as Markdown', async () => {
    await ask('Show me [[format:markdown]]');
    const lengths = new Set<number>();
    await expect
      .poll(
        async () => {
          const live = await textOf(
            page,
            '[data-testid="assistant-turn"][data-status="streaming"]',
          );
          if (live !== null) lengths.add(live.length);
          return lastAnswer().getAttribute('data-status');
        },
        { timeout: 20_000, interval: 40 },
      )
      .toBe('complete');
    expect(lengths.size).toBeGreaterThanOrEqual(3);
    const answer = lastAnswer();
    // Rendered Markdown: a heading, an ordered list, a table and a fenced code block.
    expect(await answer.locator('h2').textContent()).toBe('A stream in three steps');
    expect(await answer.locator('ol li').count()).toBe(3);
    expect(await answer.locator('table tr').count()).toBe(3);
    const code = answer.locator('pre code');
    expect(await code.getAttribute('class')).toContain('language-ts');
    expect(await code.textContent()).toBe(MARKDOWN_SAMPLE.split('```ts\n')[1]!.replace('```', ''));
    expect(await answer.getByTestId('figures').textContent()).toMatch(/^\d+ in · \d+ out tokens$/);
    // The conversation exists, is titled after the message, and is open in the URL.
    const conversations = page.getByTestId('conversation');
    await expect.poll(() => conversations.count()).toBe(1);
    expect(await conversations.first().getByTestId('conversation-title').textContent()).toBe(
      'Show me',
    );
    expect(page.url()).toMatch(/#c=[0-9a-f-]{36}$/);
    expect(await page.getByTestId('title').textContent()).toBe('Show me');
  }, 40_000);

  it('shows reasoning collapsed, while it streams and after', async () => {
    await newChat();
    const thinkingModel = (
      await page.getByTestId('model').locator('option').allTextContents()
    ).find((id) => /claude-(3-7-sonnet|sonnet-4)/.test(id));
    expect(thinkingModel).toBeDefined();
    await page.getByTestId('model').selectOption(thinkingModel!);
    await page.getByTestId('thinking').check();
    await ask('Explain streams [[format:markdown]]');
    const reasoning = lastAnswer().getByTestId('reasoning');
    // While the answer streams: the reasoning is there, and closed.
    const seen: Array<{ answer: string; open: boolean }> = [];
    await expect
      .poll(
        async () => {
          const state = await page.evaluate(() => {
            const answers = document.querySelectorAll('[data-testid="assistant-turn"]');
            const answer = answers[answers.length - 1];
            const details = answer?.querySelector<HTMLDetailsElement>('[data-testid="reasoning"]');
            return details
              ? { answer: answer!.getAttribute('data-status')!, open: details.open }
              : null;
          });
          if (state) seen.push(state);
          return state?.answer;
        },
        { timeout: 20_000, interval: 25 },
      )
      .toBe('complete');
    expect(seen.some((s) => s.answer === 'streaming')).toBe(true);
    expect(seen.every((s) => !s.open)).toBe(true);
    expect(await reasoning.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await reasoning.locator('summary').textContent()).toMatch(/^Reasoning · \d+ words$/);
    expect(await reasoning.locator('.reasoning-text').isVisible()).toBe(false);
    await reasoning.locator('summary').click();
    expect(await reasoning.locator('.reasoning-text').isVisible()).toBe(true);
    expect(
      ((await reasoning.locator('.reasoning-text').textContent()) ?? '').length,
    ).toBeGreaterThan(10);
    await reasoning.locator('summary').click();
  }, 40_000);

  it('shows tool calls as cards: a server tool and the browser-side roll_dice', async () => {
    await ask('Check get_weather for Paris and roll_dice for me');
    await settles('complete', 30_000);
    const cards = lastAnswer().getByTestId('tool-card');
    expect(await cards.count()).toBe(2);
    const weather = lastAnswer().locator('[data-tool="get_weather"]');
    const dice = lastAnswer().locator('[data-tool="roll_dice"]');
    expect(await weather.getAttribute('data-state')).toBe('output-available');
    expect(await dice.getAttribute('data-state')).toBe('output-available');
    expect(await weather.getByTestId('tool-output').textContent()).toMatch(/"conditions"/);
    const rolled = JSON.parse((await dice.getByTestId('tool-output').textContent())!) as {
      rolls: number[];
      total: number;
    };
    expect(rolled.total).toBe(rolled.rolls.reduce((a, b) => a + b, 0));
    expect(await dice.getByTestId('tool-input').textContent()).toMatch(/"sides"/);
    // The model saw both results and answered after them.
    expect(await answerText()).toMatch(/get_weather returned .* roll_dice returned/s);
    // The sidebar learns the answer ended (the list is read again once the server settled).
    await expect
      .poll(() => page.getByTestId('conversation').first().textContent(), { timeout: 10_000 })
      .not.toContain('answering');
    // The README's desktop picture: this answer and the Markdown one above it.
    await page.setViewportSize({ width: 1280, height: 1280 });
    await page.getByTestId('messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.screenshot({ path: `${artifacts}chat-desktop.png` });
    await page.setViewportSize({ width: 1280, height: 860 });
  }, 60_000);

  it('attaches files: picked, pasted and dropped; bad files get a clear error', async () => {
    await newChat();
    const input = page.getByTestId('file-input');
    await input.setInputFiles({
      name: 'movie.mp4',
      mimeType: 'video/mp4',
      buffer: Buffer.from('x'),
    });
    expect(await page.getByTestId('attach-error').textContent()).toMatch(
      /“movie\.mp4” cannot be attached: only PNG, JPEG, GIF, WEBP images or PDF, .* documents can/,
    );
    await input.setInputFiles({
      name: 'fake.png',
      mimeType: 'image/png',
      buffer: Buffer.from('nope'),
    });
    expect(await page.getByTestId('attach-error').textContent()).toBe(
      '“fake.png” is not a valid PNG image.',
    );
    await input.setInputFiles({
      name: 'huge.txt',
      mimeType: 'text/plain',
      buffer: Buffer.alloc(400 * 1024, 97),
    });
    expect(await page.getByTestId('attach-error').textContent()).toMatch(/may total 192 KB/);
    // Picked.
    await input.setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('The river is long.'),
    });
    await expect.poll(() => page.getByTestId('attachment').count()).toBe(1);
    expect(await page.getByTestId('attach-error').count()).toBe(0);
    // Pasted into the prompt, and dropped on the chat.
    const png = PNG.toString('base64');
    await page.getByTestId('prompt').evaluate((el, b64) => {
      const data = new DataTransfer();
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
      el.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
      );
    }, png);
    await expect.poll(() => page.getByTestId('attachment').count()).toBe(2);
    await page.getByTestId('messages').evaluate((el, b64) => {
      const data = new DataTransfer();
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      el.dispatchEvent(
        new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }),
      );
    }, png);
    await expect.poll(() => page.getByTestId('attachment').count()).toBe(3);
    // One can go again before sending.
    await page.getByRole('button', { name: 'Remove dropped.png' }).click();
    await expect.poll(() => page.getByTestId('attachment').count()).toBe(2);
    await ask('What is in these files?');
    await settles('complete');
    const sent = page.getByTestId('user-turn').last();
    expect(await sent.getByTestId('message-image').count()).toBe(1);
    expect(await sent.getByTestId('message-document').textContent()).toMatch(/notes\s*TXT/);
    expect(await page.getByTestId('attachment').count()).toBe(0);
    // The model got them: its input counted them (more tokens than the text alone).
    expect(await lastAnswer().getByTestId('figures').textContent()).toMatch(/out tokens/);
  }, 40_000);

  it('Stop leaves a partial answer marked stopped, kept after a reload', async () => {
    await newChat();
    await ask('Tell me everything [[tokens:400]]');
    await expect
      .poll(
        async () => ((await textOf(page, '[data-status="streaming"] .markdown')) ?? '').length,
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThan(20);
    await page.getByTestId('stop').click();
    await settles('stopped', 15_000);
    const partial = await answerText();
    expect(partial.length).toBeGreaterThan(0);
    expect(await lastAnswer().getByTestId('stopped').textContent()).toBe('Stopped');
    await page.reload();
    await settles('stopped');
    expect(await answerText()).toBe(partial);
  }, 40_000);

  it('regenerates the last answer: a new model call replaces it', async () => {
    await newChat();
    const question = 'Name a river.';
    await ask(question);
    await settles('complete');
    const before = await answerText();
    expect(before).toBe(expectedText(question).trim());
    const completed = stack.bedrock!.stats().completed;
    await lastAnswer().getByTestId('regenerate').click();
    await expect
      .poll(() => stack.bedrock!.stats().completed, { timeout: 15_000 })
      .toBe(completed + 1);
    await settles('complete');
    expect(await answers().count()).toBe(1);
    expect(await answerText()).toBe(before); // same question, deterministic model
  }, 40_000);

  it('edits a question: it is replaced, later turns go, and the new answer follows', async () => {
    await ask('And a mountain?');
    await settles('complete');
    expect(await answers().count()).toBe(2);
    await page.getByTestId('user-turn').first().getByTestId('edit').click();
    await page.getByTestId('edit-text').fill('Name a lake.');
    await page.getByTestId('edit-save').click();
    await expect.poll(() => answers().count(), { timeout: 15_000 }).toBe(1);
    await settles('complete');
    expect(await page.getByTestId('user-turn').count()).toBe(1);
    expect(await page.getByTestId('user-turn').textContent()).toContain('Name a lake.');
    expect(await answerText()).toBe(expectedText('Name a lake.').trim());
  }, 40_000);

  it('renames, switches and deletes conversations', async () => {
    const rows = page.getByTestId('conversation');
    const count = await rows.count();
    expect(count).toBeGreaterThanOrEqual(4);
    const current = page.url();
    // Rename the open one (newest first: it is on top).
    const top = rows.first();
    await top.getByTestId('rename').click();
    await page.getByTestId('rename-input').fill('Rivers and lakes');
    await page.getByTestId('rename-save').click();
    await expect
      .poll(() => top.getByTestId('conversation-title').textContent())
      .toBe('Rivers and lakes');
    await expect.poll(() => page.getByTestId('title').textContent()).toBe('Rivers and lakes');
    // Switch to the first conversation (the Markdown one, at the bottom).
    await rows.last().locator('.conversation-open').click();
    await expect.poll(() => page.getByTestId('title').textContent()).toBe('Show me');
    await expect.poll(() => lastAnswer().locator('pre code').count()).toBe(1);
    expect(page.url()).not.toBe(current);
    // Back returns to the renamed one.
    await page.goBack();
    await expect.poll(() => page.getByTestId('title').textContent()).toBe('Rivers and lakes');
    // Delete it: asked once more, then gone, and the page is a new chat.
    await rows.first().getByTestId('delete').click();
    await page.getByTestId('delete-confirm').click();
    await expect.poll(() => rows.count()).toBe(count - 1);
    await page.getByTestId('empty').waitFor();
    expect(await rows.getByTestId('conversation-title').allTextContents()).not.toContain(
      'Rivers and lakes',
    );
    await page.reload();
    await expect.poll(() => rows.count()).toBe(count - 1);
  }, 40_000);

  it('a reload mid-answer reopens the conversation and joins the answer as it streams', async () => {
    await newChat();
    const prompt = 'Tell me a long story [[tokens:300]]';
    await ask(prompt);
    await expect
      .poll(
        async () => ((await textOf(page, '[data-status="streaming"] .markdown')) ?? '').length,
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThan(40);
    const calls = stack.bedrock!.stats().requests;
    const url = page.url();
    await page.reload();
    await page.getByTestId('prompt').waitFor();
    expect(page.url()).toBe(url);
    await expect.poll(() => page.getByTestId('user-turn').count()).toBe(1);
    // Joined while still streaming (catch-up, then live), then finished.
    await expect
      .poll(() => lastAnswer().getAttribute('data-status'), { timeout: 10_000, interval: 30 })
      .toBe('streaming');
    await settles('complete', 20_000);
    expect(await answerText()).toBe(
      deterministicAnswer(
        { messages: [{ role: 'user', content: prompt }] },
        { modelId: stack.config.defaultModelId, outputTokens: OUTPUT_TOKENS },
      ).text.trim(),
    );
    expect(stack.bedrock!.stats().requests).toBe(calls); // joined, not asked again
  }, 60_000);

  it('has no axe-core violations (chat with Markdown, reasoning, tool cards, editing)', async () => {
    await page
      .getByTestId('conversation')
      .filter({ hasText: 'Explain streams' })
      .locator('.conversation-open')
      .click();
    await page.locator('[data-tool="roll_dice"]').waitFor();
    await page.getByTestId('user-turn').first().getByTestId('edit').click();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Cancel' }).click();
  }, 30_000);

  it('at phone width, header and composer stay while the answer scrolls; the sidebar is a drawer', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    const sidebar = page.getByTestId('sidebar');
    await expect.poll(() => sidebar.isVisible()).toBe(false); // slides out
    expect(await page.getByTestId('menu').isVisible()).toBe(true);
    const messages = page.getByTestId('messages');
    // The page itself never scrolls; the messages do.
    const layout = () =>
      page.evaluate(() => {
        const box = (id: string) =>
          document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect();
        return {
          pageScrolls: document.scrollingElement!.scrollHeight > innerHeight + 1,
          pageWidth: document.scrollingElement!.scrollWidth,
          headerTop: box('title').top,
          promptBottom: box('prompt').bottom,
          viewport: innerHeight,
        };
      });
    await messages.evaluate((el) => (el.scrollTop = 0));
    const top = await layout();
    await messages.evaluate((el) => (el.scrollTop = el.scrollHeight));
    expect(await messages.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    const bottom = await layout();
    expect(top.pageScrolls).toBe(false);
    expect(top.pageWidth).toBeLessThanOrEqual(375);
    expect(bottom.headerTop).toBe(top.headerTop);
    expect(bottom.promptBottom).toBe(top.promptBottom);
    expect(top.promptBottom).toBeLessThanOrEqual(top.viewport);
    await page.locator('[data-tool="get_weather"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${artifacts}chat-phone.png` });
    expect(await axeViolations(page)).toEqual([]);
    // The drawer opens over the chat and closes on choosing a conversation.
    await page.getByTestId('menu').click();
    await expect.poll(() => sidebar.isVisible()).toBe(true);
    expect(await page.getByTestId('menu').getAttribute('aria-expanded')).toBe('true');
    await page.waitForTimeout(300); // the slide-in transition, for the screenshot only
    await page.screenshot({ path: `${artifacts}chat-phone-sidebar.png` });
    expect(await axeViolations(page)).toEqual([]);
    // The focus went into the drawer; Escape closes it, choosing a conversation too.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'new-chat',
    );
    await page.keyboard.press('Escape');
    await expect.poll(() => sidebar.isVisible()).toBe(false);
    await page.getByTestId('menu').click();
    await expect.poll(() => sidebar.isVisible()).toBe(true);
    await page.getByTestId('conversation').first().locator('.conversation-open').click();
    await expect.poll(() => sidebar.isVisible()).toBe(false);
    await page.setViewportSize({ width: 1280, height: 860 });
  }, 40_000);
});

describe.skipIf(!haveChromium)('web chat in Chromium over https', () => {
  it('loads over https and streams the answer over wss', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const tlsDir = mkdtempSync(join(tmpdir(), 'bedrock-stream-web-tls-'));
    const stack = await startLocalStack({
      webDir,
      stateFile: false,
      tls: { dir: tlsDir, port: 0 },
      webHttps: true,
      model: { timeToFirstTokenMs: 50, tokensPerSecond: 80, outputTokens: OUTPUT_TOKENS },
    });
    const browser = await launchChromium(stack.tls!.spkiSha256);
    try {
      const page = await browser.newPage();
      const sockets: string[] = [];
      page.on('websocket', (socket) => sockets.push(socket.url()));
      await page.goto(stack.config.webUrl!);
      expect(page.url().startsWith('https://')).toBe(true);
      await page.getByTestId('prompt').fill('What is a stream?');
      await page.getByTestId('send').click();
      const answer = page.getByTestId('assistant-turn').last();
      await expect
        .poll(() => answer.getAttribute('data-status'), { timeout: 20_000 })
        .toBe('complete');
      expect((await answer.locator('.markdown, .plain-text').textContent())?.trim()).toBe(
        deterministicAnswer(
          { messages: [{ role: 'user', content: 'What is a stream?' }] },
          { modelId: stack.config.defaultModelId, outputTokens: OUTPUT_TOKENS },
        ).text.trim(),
      );
      expect(sockets.length).toBeGreaterThan(0);
      expect(sockets.every((url) => url.startsWith(stack.config.wssRealtimeUrl!))).toBe(true);
      await page.screenshot({ path: `${artifacts}https-answer.png` });
    } finally {
      await browser.close();
      await stack.stop();
      rmSync(tlsDir, { recursive: true, force: true });
    }
  }, 60_000);
});
