import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { ChatView, PerformanceView, PromptField } from './index.js';
import type { ChatState } from './useChat.js';

describe('PerformanceView', () => {
  test('labels each figure with its source and says when a server reports none', () => {
    const html = renderToStaticMarkup(
      createElement(PerformanceView, {
        timings: {
          decodeTokensPerSec: { value: 42.04, source: 'ollama-counters' },
          prefillTokensPerSec: null,
          timeToFirstTokenMs: { value: 180.4, source: 'client-stream' },
          totalMs: { value: 2500, source: 'client' },
        },
      }),
    );
    expect(html).toContain('data-state="done"');
    expect(html).toContain('42.0 tok/s');
    expect(html).toContain('engine counters (Ollama)');
    expect(html).toContain('the server did not report it');
    expect(html).toContain('180 ms');
    expect(html).toContain('2.50 s');
  });

  test('live figures come from the stream; idle says what to do', () => {
    const live = renderToStaticMarkup(createElement(PerformanceView, { live: { startedAt: 0, firstTokenAt: 100, lastTokenAt: 1100, chunks: 11 } }));
    expect(live).toContain('10.0 tok/s');
    expect(live).toContain('measured from the stream');
    expect(renderToStaticMarkup(createElement(PerformanceView, {}))).toContain('Send a prompt');
  });
});

describe('ChatView', () => {
  const state = (over: Partial<ChatState>): ChatState => ({ messages: [], pending: undefined, busy: false, error: undefined, live: undefined, last: undefined, send: () => undefined, stop: () => undefined, clear: () => undefined, ...over });

  test('shows the conversation, the streaming reply, errors, and themes through CSS variables', () => {
    const html = renderToStaticMarkup(
      createElement(ChatView, { chat: state({ messages: [{ role: 'user', content: 'hi <b>' }], pending: 'hel', busy: true, error: 'no LLM server answers at x' }) }),
    );
    expect(html).toContain('data-role="user"');
    expect(html).toContain('hi &lt;b&gt;');
    expect(html).toContain('data-streaming="true"');
    expect(html).toContain('role="alert"');
    expect(html).toContain('var(--wb-user-bubble');
    expect(html).toContain('>Stop<'); // busy: the button stops the reply
  });

  test('the prompt field sends only text', () => {
    expect(renderToStaticMarkup(createElement(PromptField, { onSubmit: () => undefined }))).toMatch(/<button type="submit" disabled=""/);
  });
});
