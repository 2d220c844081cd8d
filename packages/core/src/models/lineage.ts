import type { ModelLineage, Run } from '@workbench/api';

/**
 * Where a version came from, frozen at registration: later edits to the run (tags, a
 * resume) do not rewrite a registered model's history. Code version and environment come
 * from the run's tags: `git.commit`/`git.dirty` (recorded by the runner at launch) and
 * `env.python`/`env.pkg.<name>` (reported by the Python client's `log_environment`).
 */
export function lineageFromRun(run: Run, artifact: { name: string; kind: string; sha256: string; size: number }): ModelLineage {
  const tags = run.tags;
  const commit = tags['git.commit'];
  const packages: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (k.startsWith('env.pkg.')) packages[k.slice('env.pkg.'.length)] = v;
  const python = tags['env.python'] ?? null;
  return {
    run: { id: run.id, name: run.name, project: run.projectName ?? run.projectId, status: run.status, template: run.template, command: run.command, endedAt: run.endedAt },
    params: run.params,
    metrics: (run.metrics ?? []).map((m) => ({ key: m.key, last: m.last, min: m.min, max: m.max })),
    datasets: run.datasets ?? [],
    code: commit ? { commit, dirty: tags['git.dirty'] === 'true' } : null,
    environment: python !== null || Object.keys(packages).length > 0 ? { python, packages } : null,
    artifact: { name: artifact.name, kind: artifact.kind, sha256: artifact.sha256, size: artifact.size },
  };
}
