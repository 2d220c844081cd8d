import path from 'node:path';
import { findUp } from '@workbench/core';

/** The checkout this code runs from (src/, dist/ or the bundled CLI alike). */
export const repoRoot = findUp(import.meta.url, path.join('packages', 'server', 'package.json'));

/** packages/web/dist of the checkout (served at / when it has an index.html). */
export const defaultWebDir: string | null = repoRoot ? path.join(repoRoot, 'packages', 'web', 'dist') : null;

/** This package's package.json. */
export const serverPackageJson: string | null = repoRoot ? path.join(repoRoot, 'packages', 'server', 'package.json') : null;
