import { useEffect, useRef } from 'react';
import type { ChatMessage } from '../llm/index.js';
import { PromptField } from './PromptField.js';
import { box, v } from './theme.js';
import type { ChatState } from './useChat.js';

export interface ChatViewProps {
  /** From useChat(model). */
  chat: ChatState;
  placeholder?: string;
  /** Shown before the first message. */
  empty?: string;
}

/** The conversation, the reply as it streams in, and the prompt field. */
export function ChatView({ chat, placeholder, empty = 'No messages yet.' }: ChatViewProps) {
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [chat.messages.length, chat.pending]);
  return (
    <div data-wb="chat-view" style={{ ...box, display: 'flex', flexDirection: 'column', gap: 12, minHeight: 0 }}>
      <div role="log" aria-live="polite" aria-label="Conversation" style={{ display: 'flex', flexDirection: 'column', gap: 8, overflowY: 'auto', flex: 1, minHeight: 120 }}>
        {chat.messages.length === 0 && chat.pending === undefined && <p style={{ margin: 0, color: v.muted }}>{empty}</p>}
        {chat.messages.map((m, i) => (
          <Bubble key={i} message={m} />
        ))}
        {chat.pending !== undefined && <Bubble message={{ role: 'assistant', content: chat.pending }} streaming />}
        {chat.error && (
          <p role="alert" style={{ margin: 0, color: v.error, fontSize: 13 }}>
            {chat.error}
          </p>
        )}
        <div ref={end} />
      </div>
      <PromptField onSubmit={chat.send} busy={chat.busy} onStop={chat.stop} {...(placeholder ? { placeholder } : {})} />
    </div>
  );
}

function Bubble({ message, streaming = false }: { message: ChatMessage; streaming?: boolean }) {
  const user = message.role === 'user';
  return (
    <div
      data-role={message.role}
      data-streaming={streaming || undefined}
      style={{
        alignSelf: user ? 'flex-end' : 'flex-start',
        maxWidth: '85%',
        padding: '8px 12px',
        borderRadius: v.radius,
        background: user ? v.userBubble : v.assistantBubble,
        color: v.text,
        whiteSpace: 'pre-wrap',
        overflowWrap: 'anywhere',
      }}
    >
      <span style={{ display: 'block', fontSize: 11, fontWeight: 600, color: v.muted }}>{user ? 'You' : message.role === 'system' ? 'System' : 'Model'}</span>
      {message.content || (streaming ? '…' : '')}
    </div>
  );
}
