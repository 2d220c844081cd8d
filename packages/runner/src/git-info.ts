import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The code version of a run: the commit checked out in `dir` and whether the tree has
 * uncommitted changes, recorded as the run's `git.commit` / `git.dirty` tags at launch (the
 * registry copies them into a model's lineage). Null when `dir` is not in a git repository
 * or git is not installed; never fails a launch.
 */
export async function gitInfo(dir: string): Promise<{ commit: string; dirty: boolean } | null> {
  try {
    const opts = { cwd: dir, timeout: 5000, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } };
    const { stdout: commit } = await run('git', ['rev-parse', 'HEAD'], opts);
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no'], opts);
    const sha = commit.trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) return null;
    return { commit: sha, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}
