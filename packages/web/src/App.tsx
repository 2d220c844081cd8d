import { KeyRound } from 'lucide-react';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { createBrowserRouter, Link, RouterProvider } from 'react-router';
import { Layout } from './components/Layout';
import { CommandLine, EmptyState, SkeletonRows } from './components/ui';
import { saveToken } from './lib/token';
import { CachePage } from './pages/Cache';
import { DashboardPage } from './pages/Dashboard';
import { DatasetPage, DatasetsPage } from './pages/Datasets';
import { ModelPage } from './pages/Model';
import { ModelsPage } from './pages/Models';
import { NewRunPage } from './pages/NewRun';
import { ProjectPage, ProjectsPage } from './pages/Projects';
import { RunsPage } from './pages/Runs';
import { SettingsPage } from './pages/Settings';

// The pages that draw charts (and need uPlot) load on first visit.
const RunPage = lazy(() => import('./pages/Run').then((m) => ({ default: m.RunPage })));
const ComparePage = lazy(() => import('./pages/Compare').then((m) => ({ default: m.ComparePage })));
const LlmPage = lazy(() => import('./pages/Llm').then((m) => ({ default: m.LlmPage })));
const PlanPage = lazy(() => import('./pages/Plan').then((m) => ({ default: m.PlanPage })));
const PlaygroundPage = lazy(() => import('./pages/Playground').then((m) => ({ default: m.PlaygroundPage })));
const later = (el: ReactNode) => <Suspense fallback={<SkeletonRows rows={8} />}>{el}</Suspense>;

function NotFound() {
  return (
    <EmptyState title="Nothing here" commands={[]}>
      This address is not a page of Workbench. <Link className="text-accent-600 dark:text-accent-400 underline" to="/">Go to the dashboard</Link>.
    </EmptyState>
  );
}

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'projects', element: <ProjectsPage /> },
      { path: 'projects/:name', element: <ProjectPage /> },
      { path: 'datasets', element: <DatasetsPage /> },
      { path: 'datasets/:ref', element: <DatasetPage /> },
      { path: 'runs', element: <RunsPage /> },
      { path: 'runs/new', element: <NewRunPage /> },
      { path: 'runs/:id', element: later(<RunPage />) },
      { path: 'compare', element: later(<ComparePage />) },
      { path: 'models', element: <ModelsPage /> },
      { path: 'models/:name', element: <ModelPage /> },
      { path: 'llm', element: later(<LlmPage />) },
      { path: 'playground', element: later(<PlaygroundPage />) },
      { path: 'plan', element: later(<PlanPage />) },
      { path: 'cache', element: <CachePage /> },
      { path: 'settings', element: <SettingsPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}

/** Shown when the page was opened without the token (and none is kept for this tab). */
export function TokenGate({ refused = false }: { refused?: boolean }) {
  const [value, setValue] = useState('');
  return (
    <div className="flex min-h-full items-center justify-center p-6">
      <div className="card w-full max-w-lg p-6" data-testid="token-gate">
        <div className="mb-3 flex size-10 items-center justify-center rounded-xl bg-accent-50 text-accent-600 dark:bg-accent-500/10 dark:text-accent-400">
          <KeyRound size={18} />
        </div>
        <h1 className="text-lg font-semibold">Open Workbench with its token</h1>
        <p className="mt-1 text-[13px] text-muted">
          This server only answers requests that carry the workspace token. Open the address that <code className="font-mono">wb serve</code> printed — it ends with <code className="font-mono">?token=…</code> — or paste the token (the file <code className="font-mono">token</code> in the workspace folder) below.
        </p>
        {refused && (
          <div role="alert" className="mt-3 rounded-lg bg-red-50 px-3 py-2 text-[13px] text-red-800 dark:bg-red-500/10 dark:text-red-200" data-testid="token-refused">
            The server refused this token. It belongs to another workspace, or the workspace's token changed.
          </div>
        )}
        <div className="mt-4">
          <CommandLine cmd="wb serve" />
        </div>
        <form
          className="mt-4 flex gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (!value.trim()) return;
            saveToken(value.trim());
            window.location.reload();
          }}
        >
          <input className="input font-mono" placeholder="paste the workspace token" value={value} onChange={(e) => setValue(e.target.value)} aria-label="workspace token" />
          <button className="btn btn-primary" type="submit">
            Open
          </button>
        </form>
      </div>
    </div>
  );
}
