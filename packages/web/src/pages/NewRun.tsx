import { useMutation, useQuery } from '@tanstack/react-query';
import { Minus, Play, Plus } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { EmptyState, ErrorState, PageHeader, cx, FormError } from '../components/ui';
import { api } from '../lib/api';
import { parseParam, splitCommand } from '../lib/command';

export function NewRunPage() {
  const [sp] = useSearchParams();
  const navigate = useNavigate();
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api().listProjects() });
  const templates = useQuery({ queryKey: ['templates'], queryFn: () => api().listTemplates() });
  const [project, setProject] = useState(sp.get('project') ?? '');
  const proj = project || projects.data?.[0]?.name || '';
  const datasets = useQuery({ queryKey: ['datasets', proj], queryFn: () => api().listDatasets({ project: proj }), enabled: !!proj });
  const [mode, setMode] = useState<'command' | 'template'>('command');
  const [command, setCommand] = useState('');
  const [template, setTemplate] = useState('');
  const [name, setName] = useState('');
  const [dataset, setDataset] = useState('');
  const [params, setParams] = useState<Array<{ k: string; v: string }>>([{ k: '', v: '' }]);
  const tpl = templates.data?.find((t) => t.name === (template || templates.data?.[0]?.name));

  const start = useMutation({
    mutationFn: () => {
      const p: Record<string, unknown> = {};
      for (const { k, v } of params) if (k.trim() && !(mode === 'template' && v === '' && !tpl?.params[k.trim()]?.required)) p[k.trim()] = parseParam(v);
      return api().startRun({
        project: proj,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(mode === 'command' ? { command: splitCommand(command) } : { template: tpl?.name ?? template }),
        ...(dataset ? { datasets: [dataset] } : {}),
        params: p,
      });
    },
    onSuccess: (run) => navigate(`/runs/${run.id}`),
  });

  if (projects.error) return <ErrorState error={projects.error} />;
  if (projects.data && projects.data.length === 0)
    return (
      <div>
        <PageHeader title="Start a run" />
        <div className="card">
          <EmptyState title="A run belongs to a project — create one first" commands={['wb project create demo']}>
            <Link className="btn btn-primary mt-3" to="/projects?create=1">
              New project
            </Link>
          </EmptyState>
        </div>
      </div>
    );

  const canStart = !!proj && (mode === 'command' ? splitCommand(command).length > 0 : !!tpl);
  return (
    <div className="max-w-2xl">
      <PageHeader title="Start a run" subtitle="The server supervises it: live logs and metrics, cancel from anywhere." />
      <form
        className="card space-y-4 p-5"
        onSubmit={(e) => {
          e.preventDefault();
          if (canStart) start.mutate();
        }}
      >
        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <label className="label" htmlFor="run-project">
              Project
            </label>
            <select id="run-project" className="input" value={proj} onChange={(e) => setProject(e.target.value)}>
              {projects.data?.map((p) => (
                <option key={p.id}>{p.name}</option>
              ))}
            </select>
          </div>
          <div>
            <label className="label" htmlFor="run-name">
              Name <span className="font-normal">(optional)</span>
            </label>
            <input id="run-name" className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="baseline" />
          </div>
        </div>
        <div>
          <div className="mb-2 inline-flex rounded-lg border border-app p-0.5" role="tablist">
            {(['command', 'template'] as const).map((m) => (
              <button
                key={m}
                type="button"
                role="tab"
                aria-selected={mode === m}
                className={cx('rounded-md px-3 py-1 text-[13px] font-medium', mode === m ? 'bg-accent-600 text-white' : 'text-muted')}
                onClick={() => {
                  setMode(m);
                  if (m === 'template' && tpl && params.every((p) => !p.k)) {
                    const rows = Object.entries(tpl.params).map(([k, p]) => ({ k, v: p.default === undefined ? '' : String(p.default) }));
                    if (rows.length) setParams(rows);
                  }
                }}
              >
                {m === 'command' ? 'Command' : 'Template'}
              </button>
            ))}
          </div>
          {mode === 'command' ? (
            <>
              <input className="input font-mono text-[12.5px]" value={command} onChange={(e) => setCommand(e.target.value)} placeholder="python3 train.py --epochs 10" aria-label="Command" />
              <p className="mt-1 text-xs text-muted">Runs on the server's machine, without a shell (quotes group arguments).</p>
            </>
          ) : (
            <>
              <select
                className="input"
                value={tpl?.name ?? ''}
                onChange={(e) => {
                  setTemplate(e.target.value);
                  // Offer the template's params, with their defaults, as rows to fill in.
                  const t = templates.data?.find((x) => x.name === e.target.value);
                  if (t) {
                    const rows = Object.entries(t.params).map(([k, p]) => ({ k, v: p.default === undefined ? '' : String(p.default) }));
                    setParams(rows.length ? rows : [{ k: '', v: '' }]);
                  }
                }}
                aria-label="Template"
              >
                {templates.data?.map((t) => (
                  <option key={t.name}>{t.name}</option>
                ))}
              </select>
              {tpl && (
                <div className="mt-2 rounded-lg bg-panel-2 p-3 text-xs text-muted">
                  {tpl.description}
                  {Object.keys(tpl.params).length > 0 && (
                    <ul className="mt-2 space-y-0.5">
                      {Object.entries(tpl.params).map(([k, p]) => (
                        <li key={k}>
                          <code className="font-mono text-current">{k}</code>
                          {p.required ? ' (required)' : ''} — {p.description}
                          {p.default !== undefined ? ` (default ${String(p.default)})` : ''}
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              )}
            </>
          )}
        </div>
        <div>
          <label className="label" htmlFor="run-dataset">
            Dataset <span className="font-normal">(optional)</span>
          </label>
          <select id="run-dataset" className="input" value={dataset} onChange={(e) => setDataset(e.target.value)}>
            <option value="">none</option>
            {datasets.data?.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} v{d.version}
              </option>
            ))}
          </select>
        </div>
        <div>
          <div className="label">Params</div>
          <div className="space-y-1.5">
            {params.map((p, i) => (
              <div key={i} className="flex gap-2">
                <input className="input font-mono text-[12.5px]" placeholder="lr" value={p.k} onChange={(e) => setParams(params.map((x, j) => (j === i ? { ...x, k: e.target.value } : x)))} aria-label={`param ${i + 1} name`} />
                <input className="input font-mono text-[12.5px]" placeholder="0.01" value={p.v} onChange={(e) => setParams(params.map((x, j) => (j === i ? { ...x, v: e.target.value } : x)))} aria-label={`param ${i + 1} value`} />
                <button type="button" className="btn px-2" onClick={() => setParams(params.length > 1 ? params.filter((_, j) => j !== i) : [{ k: '', v: '' }])} aria-label="Remove param">
                  <Minus size={14} />
                </button>
              </div>
            ))}
            <button type="button" className="btn btn-ghost px-1 text-xs text-accent-600 dark:text-accent-400" onClick={() => setParams([...params, { k: '', v: '' }])}>
              <Plus size={13} /> add param
            </button>
          </div>
        </div>
        <FormError error={start.error} className="" />
        <div className="flex justify-end">
          <button type="submit" className="btn btn-primary" disabled={!canStart || start.isPending} data-testid="start-run">
            <Play size={14} /> {start.isPending ? 'Starting…' : 'Start run'}
          </button>
        </div>
      </form>
    </div>
  );
}
