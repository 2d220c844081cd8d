/**
 * @workbench/sdk/react — chat components for local LLMs. React is a peer dependency; styling
 * is inline with CSS variables (--wb-accent, --wb-surface, --wb-text, --wb-muted, --wb-border,
 * --wb-user-bubble, --wb-assistant-bubble, --wb-error, --wb-radius, --wb-font, --wb-mono).
 */
export { ChatView, type ChatViewProps } from './ChatView.js';
export { ModelPicker, type ModelPickerProps } from './ModelPicker.js';
export { PerformanceView, type LivePerformance, type PerformanceViewProps } from './PerformanceView.js';
export { PromptField, type PromptFieldProps } from './PromptField.js';
export { useChat, type ChatState } from './useChat.js';
