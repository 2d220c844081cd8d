import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, test } from 'vitest';
import { apiCall, cleanup, launchBrowser, nodeScript, openApp, serve, tempHome, type Served } from './helpers';

const out = process.env.WB_SHOTS_DIR ?? '/tmp/wb-shots';
let server: Served | null = null;
const home = tempHome();
afterAll(async () => {
  await server?.stop();
  cleanup(home);
});

test('screenshots', async () => {
  mkdirSync(out, { recursive: true });
  const csv = path.join(path.dirname(home), 'iris.csv');
  writeFileSync(csv, 'sepal_length,sepal_width,petal_length,species\n' + Array.from({ length: 60 }, (_, i) => `${(4 + (i % 20) / 10).toFixed(1)},${(3 + (i % 7) / 10).toFixed(1)},${(1 + (i % 30) / 10).toFixed(1)},${['setosa', 'versicolor', 'virginica'][i % 3]}`).join('\n') + '\n');
  server = await serve(home);
  {
    const b = await launchBrowser();
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page } = await openApp(b, server, { colorScheme: scheme });
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(out, `empty-${scheme}.png`) });
      await page.goto(server.url + '/runs/nope');
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(out, `notfound-${scheme}.png`) });
      await context.close();
    }
    await b.close();
  }
  await apiCall(server, 'POST', '/projects', { name: 'fraud-detection', description: 'Card fraud classifier' });
  await apiCall(server, 'POST', '/projects', { name: 'llm-finetune' });
  await apiCall(server, 'POST', '/datasets/import', { path: csv, project: 'fraud-detection', name: 'iris' });
  for (let i = 0; i < 6; i++) {
    await apiCall(server, 'POST', '/runs', {
      project: i % 2 ? 'llm-finetune' : 'fraud-detection',
      name: `sweep-${i}`,
      datasets: i % 2 ? [] : ['iris'],
      params: { lr: [0.1, 0.01, 0.001][i % 3], layers: 2 + (i % 3), optimizer: i % 2 ? 'adam' : 'sgd' },
      command: nodeScript(`for(let s=0;s<200;s++){ev({type:'metrics',step:s,values:{loss:Math.exp(-s/${40 + i * 10})+Math.random()*0.05,acc:1-Math.exp(-s/${30 + i * 5})*0.9}});} console.log('done'); ${i === 3 ? 'process.exit(1)' : ''}`),
    });
  }
  await new Promise((r) => setTimeout(r, 3000));
  const live = await apiCall<{ id: string }>(server, 'POST', '/runs', {
    project: 'fraud-detection',
    name: 'long-training',
    params: { lr: 0.003, epochs: 100 },
    command: nodeScript(`for(let s=0;s<100000;s++){console.log('epoch '+s+' loss='+(1/(s+1)).toFixed(4)); if(s%7==0) console.error('warning: slow batch '+s); ev({type:'metric',key:'loss',value:Math.exp(-s/30)+Math.random()*0.03,step:s}); ev({type:'progress',current:s,total:300}); await sleep(50);}`),
  });
  await new Promise((r) => setTimeout(r, 4000));
  const browser = await launchBrowser();
  try {
    for (const scheme of ['light', 'dark'] as const) {
      const { context, page } = await openApp(browser, server, { colorScheme: scheme });
      const shot = async (name: string, p: string) => {
        await page.goto(server!.url + p);
        await page.waitForTimeout(1500);
        await page.screenshot({ path: path.join(out, `${name}-${scheme}.png`) });
      };
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(out, `dashboard-${scheme}.png`) });
      await shot('projects', '/projects');
      await shot('project', '/projects/fraud-detection');
      await shot('runs', '/runs');
      await shot('run', `/runs/${live.id}`);
      await shot('datasets', '/datasets');
      await shot('dataset', '/datasets/iris');
      const runs = await apiCall<{ runs: Array<{ id: string }> }>(server, 'GET', '/runs?limit=4');
      await shot('compare', `/compare?runs=${runs.runs.map((r) => r.id).join(',')}`);
      await shot('newrun', '/runs/new');
      await shot('settings', '/settings');
      await context.close();
    }
  } finally {
    await browser.close();
  }
}, 120_000);
