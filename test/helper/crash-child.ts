/**
 * Run by test/helper/crash.test.ts in a child process (bundled with esbuild): binds the GPU group of a fixture
 * root through the fake kernel and SIGKILLs itself right after write number CRASH_AFTER (0: right after the
 * journal's intent, before any sysfs write), like a helper killed by the OOM killer or a power cut of the process.
 */
import { runCore } from '../../electron/helper/core';
import { FakeKernel } from './fake-kernel';

const [root, after, ...addresses] = process.argv.slice(2);
const crashAfter = Number(after);
const kernel = FakeKernel.fromTree(root!);
let writes = 0;
const io = {
  ...kernel.io,
  appendDurable: (file: string, text: string) => {
    kernel.io.appendDurable(file, text);
    if (crashAfter === 0) process.kill(process.pid, 'SIGKILL');
  },
  writeAttr: (file: string, value: string) => {
    kernel.io.writeAttr(file, value);
    if (++writes === crashAfter) process.kill(process.pid, 'SIGKILL');
  },
};
const result = runCore({ verb: 'bind-vfio', addresses, withGroup: false, force: false, dryRun: false }, { root: root!, io, uid: 1000 });
process.stdout.write(JSON.stringify({ result, writes }) + '\n');
