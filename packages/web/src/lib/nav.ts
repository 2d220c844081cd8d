import { Activity, Boxes, Calculator, Cpu, Database, GitCompareArrows, HardDrive, LayoutDashboard, MessagesSquare, Package, Play, Settings, type LucideIcon } from 'lucide-react';

export interface NavEntry {
  to: string;
  label: string;
  icon: LucideIcon;
  /** The `g` chord that goes there, when there is one. */
  keys?: string;
  /** Match only the exact path (the dashboard; runs without its sub-pages). */
  end?: boolean;
  /** More words the command palette finds it by. */
  keywords?: string[];
}

/** Every page a person navigates to: the sidebar shows them and the command palette offers them. */
export const NAV: NavEntry[] = [
  { to: '/', label: 'Dashboard', icon: LayoutDashboard, end: true, keys: 'g h' },
  { to: '/projects', label: 'Projects', icon: Boxes, keys: 'g p' },
  { to: '/datasets', label: 'Datasets', icon: Database, keys: 'g d' },
  { to: '/runs', label: 'Runs', icon: Activity, keys: 'g r', end: true },
  { to: '/compare', label: 'Compare', icon: GitCompareArrows, keys: 'g c' },
  { to: '/models', label: 'Models', icon: Package },
  { to: '/llm', label: 'LLM', icon: Cpu },
  { to: '/runs/new', label: 'Start a run', icon: Play, keys: 'g n' },
  { to: '/playground', label: 'Playground', icon: MessagesSquare },
  { to: '/cache', label: 'Model cache', icon: HardDrive },
  { to: '/plan', label: 'Plan', icon: Calculator },
];

export const SETTINGS_NAV: NavEntry = { to: '/settings', label: 'Settings', icon: Settings, keys: 'g s', keywords: ['workspace', 'server', 'theme'] };
