import type { CSSProperties } from 'react';

/**
 * Every colour, radius and font the components use is a CSS variable with a default, so an
 * app restyles them by setting variables on any ancestor:
 *   .my-chat { --wb-accent: #7c3aed; --wb-radius: 4px; }
 */
export const v = {
  bg: 'var(--wb-bg, transparent)',
  surface: 'var(--wb-surface, #ffffff)',
  text: 'var(--wb-text, #18181b)',
  muted: 'var(--wb-muted, #52525b)',
  border: 'var(--wb-border, #d4d4d8)',
  accent: 'var(--wb-accent, #2563eb)',
  accentText: 'var(--wb-accent-text, #ffffff)',
  userBubble: 'var(--wb-user-bubble, #eff6ff)',
  assistantBubble: 'var(--wb-assistant-bubble, #f4f4f5)',
  error: 'var(--wb-error, #b91c1c)',
  radius: 'var(--wb-radius, 10px)',
  font: 'var(--wb-font, inherit)',
  mono: 'var(--wb-mono, ui-monospace, SFMono-Regular, Menlo, monospace)',
} as const;

export const box: CSSProperties = { fontFamily: v.font, color: v.text, background: v.bg };
