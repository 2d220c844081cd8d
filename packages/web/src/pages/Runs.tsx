import { Play } from 'lucide-react';
import { Link } from 'react-router';
import { RunsTable } from '../components/RunsTable';
import { PageHeader } from '../components/ui';

export function RunsPage() {
  return (
    <div>
      <PageHeader
        title="Runs"
        subtitle="Every run in the workspace. Sort by any column, filter by status, name, param or metric, and select runs to compare."
        actions={
          <Link className="btn btn-primary" to="/runs/new">
            <Play size={14} /> Start a run
          </Link>
        }
      />
      <RunsTable />
    </div>
  );
}
