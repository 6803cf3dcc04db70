/**
 * Child process of the kill-at-every-step test: applies a request (or rolls back a change set) on a root and
 * SIGKILLs itself just before durable step number CRASH_AT. Bundled by the test with esbuild; the helper
 * itself has no crash hook, only the `step` callback this child passes in.
 */
import { readFileSync } from 'node:fs';
import { applyBoot, rollbackBoot } from '../../electron/helper/boot-core';

const [mode, root, crashAt, arg] = process.argv.slice(2) as [string, string, string, string];
let n = 0;
const step = () => {
  n += 1;
  if (n === Number(crashAt)) process.kill(process.pid, 'SIGKILL');
};
const ctx = { root, uid: 0, run: null, step };
const change = mode === 'apply' ? applyBoot(JSON.parse(readFileSync(arg, 'utf8')), ctx) : rollbackBoot(arg, ctx);
process.stdout.write(JSON.stringify({ steps: n, id: change.id }) + '\n');
