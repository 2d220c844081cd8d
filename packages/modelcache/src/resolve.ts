import { UserError, notFound } from '@workbench/core';

/** A model by id, `source:name`, or name; an ambiguous name lists the ids to choose from. */
export function findModel<T extends { id: string; name: string; source: string }>(models: T[], ref: string): T {
  const exact = models.find((m) => m.id === ref);
  if (exact) return exact;
  const byName = models.filter((m) => m.name === ref || `${m.source}:${m.name}` === ref || m.id.startsWith(ref + '@'));
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new UserError('AMBIGUOUS', `'${ref}' names ${byName.length} models: ${byName.map((m) => m.id).join(', ')}`, { hint: 'use one of the ids' });
  throw notFound('model', ref, 'wb cache status lists the models (run wb cache scan after adding files)');
}
