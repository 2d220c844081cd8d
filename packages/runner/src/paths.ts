import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findUp } from '@workbench/core';

const repoRoot = findUp(import.meta.url, path.join('python', 'workbench', '__init__.py')) ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The folder that holds the `workbench` Python package, put first on children's PYTHONPATH. */
export const pythonClientDir = process.env.WB_PYTHON_CLIENT_DIR ?? path.join(repoRoot, 'python');
/** Where built-in training templates live. */
export const templatesDir = process.env.WB_TEMPLATES_DIR ?? path.join(repoRoot, 'templates');
