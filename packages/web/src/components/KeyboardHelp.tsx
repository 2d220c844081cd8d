import { setKeyboardHelp, SHORTCUTS, useKeyboardHelp } from '../lib/keyboard';
import { Modal } from './ui';

/** The `?` dialog: every keyboard shortcut. */
export function KeyboardHelp() {
  const open = useKeyboardHelp();
  return (
    <Modal open={open} onOpenChange={setKeyboardHelp} title="Keyboard shortcuts">
      <ul className="grid gap-y-1.5 text-[13px]" data-testid="keyboard-help">
        {SHORTCUTS.map(([keys, what]) => (
          <li key={keys} className="flex items-center justify-between gap-4">
            {what} <span className="kbd">{keys}</span>
          </li>
        ))}
      </ul>
    </Modal>
  );
}
