import { useEffect, useId, useState } from 'react';
import { listModels, type EndpointOptions, type ModelSummary } from '../llm/index.js';
import { v } from './theme.js';

export interface ModelPickerProps extends EndpointOptions {
  value: string | undefined;
  onChange: (model: string) => void;
  label?: string;
}

/** A select filled from the endpoint's model list; says plainly when the endpoint is down or empty. */
export function ModelPicker({ value, onChange, label = 'Model', ...endpoint }: ModelPickerProps) {
  const id = useId();
  const [models, setModels] = useState<ModelSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const key = `${endpoint.endpoint ?? ''}|${endpoint.kind ?? ''}`;
  useEffect(() => {
    let live = true;
    setModels(undefined);
    setError(undefined);
    listModels(endpoint)
      .then((m) => {
        if (!live) return;
        setModels(m);
        if (m.length && !m.some((x) => x.name === value)) onChange(m[0]!.name);
      })
      .catch((e: Error & { hint?: string }) => live && setError(e.hint ? `${e.message} — ${e.hint}` : e.message));
    return () => {
      live = false;
    };
    // eslint-style exhaustive deps would refetch on every render of a new options object
  }, [key]);
  return (
    <div data-wb="model-picker" style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
      <label htmlFor={id} style={{ fontSize: 12, fontWeight: 600, color: v.muted }}>
        {label}
      </label>
      <select
        id={id}
        value={value ?? ''}
        disabled={!models?.length}
        onChange={(e) => onChange(e.target.value)}
        style={{ padding: '6px 8px', font: 'inherit', color: v.text, background: v.surface, border: `1px solid ${v.border}`, borderRadius: v.radius }}
      >
        {!models && !error && <option value="">Loading models…</option>}
        {models?.length === 0 && <option value="">No models on this endpoint</option>}
        {error && <option value="">Endpoint unavailable</option>}
        {models?.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
            {m.parameterSize ? ` · ${m.parameterSize}` : ''}
            {m.quantization ? ` · ${m.quantization}` : ''}
          </option>
        ))}
      </select>
      {error && (
        <p role="alert" style={{ margin: 0, fontSize: 12, color: v.error }}>
          {error}
        </p>
      )}
    </div>
  );
}
