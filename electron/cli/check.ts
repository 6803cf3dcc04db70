/**
 * `vfio-pilot check [--root DIR] [--json]`: can this host do passthrough, and if not, what exactly to change.
 * One row per check (ok | warn | fail | unknown) with the evidence read and the fix. Exit 0 when nothing fails,
 * 1 when something fails, 2 when the root is unusable (or bad usage).
 */
import type { ReadinessReport } from '../../shared/readiness';
import { countStatuses, formatChecks, runChecks } from '../../shared/readiness';
import { readReadinessFacts } from '../host/readiness-facts';
import { HostRootError, scanHost } from '../host/scan';
import { parseArgs } from './args';
import type { CommandIo } from './main';
import { stdoutIsTerminal } from './output';

/** The readiness report for a root; throws HostRootError when the root is not a Linux root. */
export function checkHost(root: string, pciIdsPath?: string): ReadinessReport {
  const inventory = scanHost(pciIdsPath === undefined ? { root } : { root, pciIdsPath });
  return runChecks(inventory, readReadinessFacts(inventory.host.root, inventory.host.kernelRelease));
}

export async function runCheck(argv: string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, { values: ['root', 'pci-ids'], booleans: ['json'] });
  if (args.positionals.length) {
    io.stderr(`vfio-pilot check: unexpected argument '${args.positionals[0]}'\n`);
    return 2;
  }
  let report: ReadinessReport;
  try {
    report = checkHost(args.values.root ?? '/', args.values['pci-ids']);
  } catch (err) {
    if (err instanceof HostRootError) {
      io.stderr(`vfio-pilot check: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const counts = countStatuses(report.checks);
  if (args.booleans.json) {
    io.stdout(JSON.stringify(report, null, stdoutIsTerminal() ? 2 : undefined) + '\n');
  } else {
    io.stdout(
      formatChecks(report.checks, 'text') +
        `\n${report.checks.length} checks: ${counts.ok} ok, ${counts.warn} warn, ${counts.fail} fail, ${counts.unknown} unknown\n`,
    );
  }
  return counts.fail > 0 ? 1 : 0;
}
