import { useCallback, useRef, useState } from 'react';
import type { ChatMessage, GenerateOptions, LlmModel, LlmResult } from '../llm/index.js';
import type { LivePerformance } from './PerformanceView.js';

export interface ChatState {
  messages: ChatMessage[];
  /** The reply being streamed, if any. */
  pending: string | undefined;
  busy: boolean;
  error: string | undefined;
  live: LivePerformance | undefined;
  last: LlmResult | undefined;
  send: (text: string) => void;
  stop: () => void;
  clear: () => void;
}

/** Conversation state around a model: send streams the reply, stop cancels it. */
export function useChat(model: LlmModel | undefined, opts: Omit<GenerateOptions, 'signal'> & { system?: string } = {}): ChatState {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [pending, setPending] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [live, setLive] = useState<LivePerformance | undefined>();
  const [last, setLast] = useState<LlmResult | undefined>();
  const abort = useRef<AbortController | undefined>(undefined);
  const optsRef = useRef(opts);
  optsRef.current = opts;

  const send = useCallback(
    (text: string) => {
      if (!model || abort.current) return;
      const history: ChatMessage[] = [...messages, { role: 'user', content: text }];
      setMessages(history);
      setPending('');
      setError(undefined);
      setLast(undefined);
      const ac = new AbortController();
      abort.current = ac;
      const perf: LivePerformance = { startedAt: performance.now(), firstTokenAt: undefined, lastTokenAt: undefined, chunks: 0 };
      setLive({ ...perf });
      const { system, ...gen } = optsRef.current;
      const stream = model.chatStream(system ? [{ role: 'system', content: system }, ...history] : history, { ...gen, signal: ac.signal });
      void (async () => {
        let acc = '';
        try {
          for await (const t of stream) {
            const now = performance.now();
            perf.firstTokenAt ??= now;
            perf.lastTokenAt = now;
            perf.chunks++;
            acc += t;
            setPending(acc);
            setLive({ ...perf });
          }
          const r = await stream.result;
          setMessages([...history, { role: 'assistant', content: r.text }]);
          setLast(r);
        } catch (e) {
          const err = e as Error & { hint?: string };
          if (acc) setMessages([...history, { role: 'assistant', content: acc }]);
          setError(err.name === 'LlmAbortedError' ? 'Stopped.' : err.hint ? `${err.message} — ${err.hint}` : err.message);
        } finally {
          abort.current = undefined;
          setPending(undefined);
          setLive(undefined);
        }
      })();
    },
    [model, messages],
  );

  return {
    messages,
    pending,
    busy: pending !== undefined,
    error,
    live,
    last,
    send,
    stop: () => abort.current?.abort(),
    clear: () => {
      abort.current?.abort();
      setMessages([]);
      setLast(undefined);
      setError(undefined);
    },
  };
}
