// `npm start`: install and build what is needed, then serve the default workspace.
// Extra arguments go to `wb serve`: npm start -- --port 9000
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureBuilt, ensureDebianPackages, ensureNodeModules, missingPythonModules, pythonPackages, root, say } from './lib/setup.mjs';

ensureNodeModules();
ensureBuilt();
// The training templates need scikit-learn, PyTorch and ONNX; the rest of Workbench works
// without them, so a failed install only warns.
const missing = missingPythonModules(Object.keys(pythonPackages));
if (missing.length > 0) ensureDebianPackages(missing.map((m) => pythonPackages[m]));
say('starting: wb serve (the ./wb command in this folder is the CLI)');
const child = spawn(process.execPath, [path.join(root, 'packages/cli/dist/bundle/bin.js'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
