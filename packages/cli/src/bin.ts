#!/usr/bin/env node
import { isUsageError, reportError, usageExit } from './errors.js';
import { buildProgram } from './program.js';

// Commands import the heavy parts (SQLite, the server) lazily, so `wb --version` and
// `wb --help` start in a few tens of milliseconds.
try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = isUsageError(err) ? usageExit(err) : reportError(err);
}
