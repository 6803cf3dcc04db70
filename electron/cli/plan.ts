/**
 * `vfio-pilot plan [--root DIR] [--json] ADDR...`: the boot-time isolation plan for the selected functions,
 * as unified diffs per file and the commands in order (or, with --json, `{layout, kernelArgs, files, commands,
 * notes}`). Nothing is written. Exit 0 a plan (possibly empty), 1 refused (layout not recognised, a config
 * that cannot be edited safely, a bad selection: the message says which), 2 bad usage or an unusable root.
 */
import { formatPlan, isBootPlanError, type BootPlan } from '../../shared/boot';
import { planForRoot } from '../host/boot-tree';
import { HostRootError } from '../host/scan';
import { parseArgs } from './args';
import type { CommandIo } from './main';
import { stdoutIsTerminal } from './output';

export async function runPlan(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root', 'pci-ids'], booleans: ['json'] });
  if (!args.positionals.length) {
    io.stderr('vfio-pilot plan: give the PCI addresses to isolate at boot (e.g. 0000:01:00.0)\n');
    return 2;
  }
  let plan: BootPlan;
  try {
    plan = planForRoot(args.values.root ?? '/', args.positionals, args.values['pci-ids']);
  } catch (err) {
    if (err instanceof HostRootError) {
      io.stderr(`vfio-pilot plan: ${err.message}\n`);
      return 2;
    }
    if (isBootPlanError(err)) {
      if (args.booleans.json) io.stdout(JSON.stringify({ error: { code: err.code, message: err.message } }) + '\n');
      io.stderr(`vfio-pilot plan: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  io.stdout(args.booleans.json ? JSON.stringify(plan, null, stdoutIsTerminal() ? 2 : undefined) + '\n' : formatPlan(plan));
  return 0;
}
