import { invalid } from './errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Project and dataset names: safe in URLs, paths and shells. */
export function checkName(kind: string, name: string): string {
  if (!NAME.test(name)) {
    throw invalid(
      `invalid ${kind} name '${name.slice(0, 140)}'`,
      `use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}
