import { useState, type KeyboardEvent } from 'react';
import { v } from './theme.js';

export interface PromptFieldProps {
  onSubmit: (text: string) => void;
  /** While a reply streams: the button stops it instead of sending. */
  busy?: boolean;
  onStop?: () => void;
  disabled?: boolean;
  placeholder?: string;
  label?: string;
}

/** A prompt box: Enter sends, Shift+Enter makes a new line, Stop cancels a streaming reply. */
export function PromptField({ onSubmit, busy = false, onStop, disabled = false, placeholder = 'Ask something…', label = 'Prompt' }: PromptFieldProps) {
  const [text, setText] = useState('');
  const send = () => {
    const t = text.trim();
    if (!t || busy || disabled) return;
    onSubmit(t);
    setText('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  return (
    <form
      data-wb="prompt-field"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      style={{ display: 'flex', gap: 8, alignItems: 'flex-end' }}
    >
      <textarea
        aria-label={label}
        value={text}
        rows={2}
        disabled={disabled}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        style={{ flex: 1, resize: 'vertical', minHeight: 44, padding: '8px 10px', font: 'inherit', color: v.text, background: v.surface, border: `1px solid ${v.border}`, borderRadius: v.radius }}
      />
      {busy ? (
        <button type="button" onClick={onStop} style={button(false)}>
          Stop
        </button>
      ) : (
        <button type="submit" disabled={disabled || !text.trim()} style={button(disabled || !text.trim())}>
          Send
        </button>
      )}
    </form>
  );
}

function button(dim: boolean) {
  return { padding: '8px 16px', font: 'inherit', fontWeight: 600, color: v.accentText, background: v.accent, border: 'none', borderRadius: v.radius, cursor: dim ? 'not-allowed' : 'pointer', opacity: dim ? 0.55 : 1 } as const;
}
