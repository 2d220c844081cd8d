import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { gitInfo } from './git-info.js';

let dir: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir, dispose } = await tempDir('wb-git-')));
afterEach(async () => dispose());

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' }).toString().trim();

test('a run records the commit and whether the tree had uncommitted changes', async () => {
  expect(await gitInfo(dir)).toBeNull(); // not a repository
  git('init', '-q');
  expect(await gitInfo(dir)).toBeNull(); // no commit yet
  await writeFile(path.join(dir, 'train.py'), 'print(1)\n');
  git('add', 'train.py');
  git('commit', '-qm', 'first');
  const head = git('rev-parse', 'HEAD');
  expect(await gitInfo(dir)).toEqual({ commit: head, dirty: false });
  await writeFile(path.join(dir, 'train.py'), 'print(2)\n');
  expect(await gitInfo(dir)).toEqual({ commit: head, dirty: true });
  expect(await gitInfo(path.join(dir, 'no-such-folder'))).toBeNull();
});
