import { modelStages, type ModelStage } from '@workbench/api';
import { invalid } from '../errors.js';
import { checkName } from '../names.js';

/** How a version is named on the command line and in URLs: `name@3`, `name@production`, `name@champion`, `name` (= latest). */
export type VersionSelector = { kind: 'latest' } | { kind: 'version'; version: number } | { kind: 'stage'; stage: ModelStage } | { kind: 'alias'; alias: string };

export const reservedAliases: readonly string[] = [...modelStages, 'latest'];

export function parseModelRef(ref: string): { name: string; selector: VersionSelector } {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const sel = at < 0 ? '' : ref.slice(at + 1);
  checkName('model', name);
  return { name, selector: parseSelector(sel) };
}

export function parseSelector(sel: string): VersionSelector {
  if (sel === '' || sel === 'latest') return { kind: 'latest' };
  if (/^v?\d{1,9}$/.test(sel)) return { kind: 'version', version: Number(sel.replace(/^v/, '')) };
  if ((modelStages as readonly string[]).includes(sel)) return { kind: 'stage', stage: sel as ModelStage };
  if (!/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(sel)) throw invalid(`cannot read the version '${sel}'`, 'name a version by number (3), stage (production) or alias (champion)');
  return { kind: 'alias', alias: sel };
}

export function checkAlias(alias: string): string {
  if (!/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(alias)) throw invalid(`invalid alias '${alias.slice(0, 80)}'`, "use 1-64 letters, digits, '.', '_' or '-', starting with a letter");
  if (reservedAliases.includes(alias)) throw invalid(`'${alias}' names a stage, not an alias`, 'pick another alias name (champion, challenger, …)');
  return alias;
}
