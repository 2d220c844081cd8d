import { describe, expect, test } from 'vitest';
import { commandLine, table, visible } from './output.js';

describe('terminal output', () => {
  test('control characters inside a value are shown escaped, so a row stays one line', () => {
    expect(visible('a\nb\tc\r\x00\x7f')).toBe('a\\nb\\tc\\r\\x00\\x7f');
    expect(visible('précision/été ✓')).toBe('précision/été ✓');
    const out = table([{ key: 'a\nb', last: '1' }, { key: 'loss', last: '0.5' }], [
      { key: 'key', title: 'key' },
      { key: 'last', title: 'last', align: 'right' },
    ]);
    expect(out.split('\n')).toEqual(['KEY   LAST', 'a\\nb     1', 'loss   0.5', '']);
    // A column title from data (a CSV header in a preview) too.
    expect(table([{ 'x\ny': 1 }], [{ key: 'x\ny', title: 'x\ny' }])).toBe('X\\nY\n1\n');
  });

  test('a command is shown quoted where a shell would need quotes', () => {
    expect(commandLine(['python3', 'train.py', '--lr=0.01', '/data/x.csv'])).toBe('python3 train.py --lr=0.01 /data/x.csv');
    expect(commandLine(['python3', '-c', 'import workbench as wb; print(1)'])).toBe("python3 -c 'import workbench as wb; print(1)'");
    expect(commandLine(['echo', "it's", ''])).toBe("echo 'it'\\''s' ''");
  });
});
