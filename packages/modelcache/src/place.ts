import { randomBytes } from 'node:crypto';
import { constants, copyFileSync, linkSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export type PlaceMethod = 'hardlink' | 'reflink' | 'copy' | 'symlink';

/**
 * Put `source`'s bytes at `dest` without a moment where `dest` is half-written: a hard link
 * on the same filesystem, else a reflink, else a copy (or a symlink when asked), made under a
 * temporary name beside `dest` and renamed over it.
 */
export function placeFile(source: string, dest: string, opts: { allowSymlink?: boolean; allowCopy?: boolean } = {}): PlaceMethod {
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.wb-place-${randomBytes(6).toString('hex')}.tmp`);
  let method: PlaceMethod;
  try {
    const sameDev = statSync(source).dev === statSync(path.dirname(dest)).dev;
    if (sameDev) {
      linkSync(source, tmp);
      method = 'hardlink';
    } else if (opts.allowSymlink) {
      symlinkSync(path.resolve(source), tmp);
      method = 'symlink';
    } else {
      try {
        copyFileSync(source, tmp, constants.COPYFILE_FICLONE_FORCE);
        method = 'reflink';
      } catch {
        if (!opts.allowCopy) throw new Error(`${dest} is on another filesystem than ${source}; a hard link cannot cross (allow a symlink or a copy)`);
        copyFileSync(source, tmp);
        method = 'copy';
      }
    }
    renameSync(tmp, dest);
    return method;
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
