import { load, type LlmModel } from '@workbench/sdk/llm';
import { ChatView, ModelPicker, PerformanceView, useChat } from '@workbench/sdk/react';
import { useEffect, useState } from 'react';
import { CommandLine, PageHeader, Section } from '../components/ui';

const ENDPOINT_KEY = 'wb.playground.endpoint';
const DEFAULT_ENDPOINT = 'http://127.0.0.1:11435';

/**
 * Chat with a local model. The page calls the LLM endpoint directly from the browser: `wb llm
 * serve` and Ollama both answer pages on localhost (CORS), and the app's content security policy
 * allows loopback addresses for exactly this.
 */
export function PlaygroundPage() {
  const [endpoint, setEndpoint] = useState(() => localStorage.getItem(ENDPOINT_KEY) ?? DEFAULT_ENDPOINT);
  const [draft, setDraft] = useState(endpoint);
  const [modelName, setModelName] = useState<string | undefined>();
  const [model, setModel] = useState<LlmModel | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [maxTokens, setMaxTokens] = useState(256);
  const [temperature, setTemperature] = useState(0.8);
  const chat = useChat(model, { maxTokens, temperature });

  useEffect(() => {
    setModel(undefined);
    setLoadError(undefined);
    if (!modelName) return;
    let live = true;
    load(modelName, { endpoint, onWarning: () => undefined })
      .then((m) => live && setModel(m))
      .catch((e: Error & { hint?: string }) => live && setLoadError(e.hint ? `${e.message} — ${e.hint}` : e.message));
    return () => {
      live = false;
    };
  }, [endpoint, modelName]);

  return (
    <div className="space-y-5 [--wb-accent:#2563eb] dark:[--wb-assistant-bubble:#27272a] dark:[--wb-border:#3f3f46] dark:[--wb-error:#f87171] dark:[--wb-muted:#a1a1aa] dark:[--wb-surface:#18181b] dark:[--wb-text:#f4f4f5] dark:[--wb-user-bubble:#1e3a8a]" data-testid="playground">
      <PageHeader title="Playground" subtitle="Chat with a model on a local endpoint: wb llm serve, Ollama or any OpenAI-compatible server" />
      <div className="grid gap-5 lg:grid-cols-[320px_1fr]">
        <div className="space-y-5">
          <Section title="Endpoint">
            <form
              className="space-y-3 p-4"
              onSubmit={(e) => {
                e.preventDefault();
                const url = draft.trim().replace(/\/+$/, '');
                localStorage.setItem(ENDPOINT_KEY, url);
                setModelName(undefined);
                setEndpoint(url);
              }}
            >
              <label className="block text-xs font-semibold text-muted" htmlFor="pg-endpoint">
                Address
              </label>
              <div className="flex gap-2">
                <input id="pg-endpoint" className="input h-9 flex-1 font-mono text-[13px]" value={draft} onChange={(e) => setDraft(e.target.value)} spellCheck={false} />
                <button className="btn h-9" type="submit">
                  Connect
                </button>
              </div>
              <ModelPicker key={endpoint} endpoint={endpoint} value={modelName} onChange={setModelName} />
              <label className="block text-xs font-semibold text-muted" htmlFor="pg-max">
                Max tokens per reply
              </label>
              <input id="pg-max" className="input h-9 w-28" type="number" min={1} max={8192} value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Number(e.target.value) || 1))} />
              <label className="block text-xs font-semibold text-muted" htmlFor="pg-temp">
                Temperature (0: always the likeliest token)
              </label>
              <input id="pg-temp" className="input h-9 w-28" type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(Math.min(2, Math.max(0, Number(e.target.value) || 0)))} />
              {model && (
                <p className="text-[12px] text-muted" data-testid="pg-model-info">
                  {model.kind === 'workbench' ? 'wb llm serve' : model.kind === 'ollama' ? 'Ollama' : 'OpenAI-compatible'} · context {model.contextLength ?? 'unknown'}
                  {model.contextSource ? ` (${model.contextSource})` : ''}
                </p>
              )}
              {loadError && (
                <p role="alert" className="text-[12px] text-red-700 dark:text-red-300">
                  {loadError}
                </p>
              )}
            </form>
          </Section>
          <Section title="Performance">
            <div className="p-4" data-testid="pg-performance">
              <PerformanceView timings={chat.last?.timings} live={chat.live} />
            </div>
          </Section>
          <Section title="Serve a model">
            <div className="space-y-2 p-4 text-[13px] text-muted">
              <p>Start the built-in engine on a GGUF file, then connect to its address:</p>
              <CommandLine cmd="wb llm serve ./model.gguf" />
            </div>
          </Section>
        </div>
        <Section title={modelName ? `Chat · ${modelName}` : 'Chat'} className="min-h-[28rem]">
          <div className="wb-playground-chat flex h-[32rem] flex-col p-4">
            <ChatView chat={chat} empty={model ? 'Type a prompt below. Replies stream in as they are generated.' : 'Pick an endpoint and a model to start.'} />
          </div>
        </Section>
      </div>
    </div>
  );
}
