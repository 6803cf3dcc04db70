/**
 * Out-of-tree modules the host relies on (vendor-reset, Looking Glass's kvmfr): built for the running kernel or not.
 * A kernel update leaves DKMS modules behind when their build fails; the host then boots without them.
 */
import { lookupQuirks } from '../analysis/quirks';
import { pciClass } from '../model/pci';
import type { CheckInput } from './common';
import { ev, isLoaded, listWords, moduleName, moduleWhere } from './common';
import type { Check, Evidence } from './types';

const PURPOSE: Record<string, string> = {
  'vendor-reset': 'resets AMD Polaris/Vega/Navi 1x GPUs between VM runs',
  kvmfr: 'Looking Glass shared-memory device (/dev/kvmfr0)',
};

/** Built for the running kernel: a .ko under updates/ or extra/, modules.dep naming it, or DKMS built it for this release. */
export function outOfTreeBuilt(input: CheckInput, name: string): boolean | null {
  const { facts } = input;
  const module = facts.outOfTree.find((m) => m.name === name);
  if (module && (module.files.length > 0 || module.dkms.some((d) => d.kernels.includes(facts.kernelRelease ?? '')))) return true;
  if (moduleWhere(input, name)) return true;
  if (facts.modulesDep.status !== 'ok' && !module) return null;
  return false;
}

/** Why the host relies on a module: a GPU needs it, the configuration loads it, DKMS has it, or it is loaded. */
function reliance(input: CheckInput, name: string): string[] {
  const reasons: string[] = [];
  if (name === 'vendor-reset') {
    const needing = input.inventory.devices.filter((d) => pciClass.isDisplay(d.classCode) && lookupQuirks(d).some((q) => q.kind === 'vendor_reset'));
    if (needing.length) reasons.push(`${listWords(needing.map((d) => d.address))} need${needing.length === 1 ? 's' : ''} it`);
  }
  const requests = input.facts.moduleConfig.requests.filter((r) => r.module === moduleName(name) && r.kind !== 'blacklist');
  if (requests.length) reasons.push(`${listWords([...new Set(requests.map((r) => r.file))])} load${requests.length === 1 ? 's' : ''} it`);
  const module = input.facts.outOfTree.find((m) => m.name === name);
  if (module?.dkms.length) reasons.push('DKMS has it');
  if (isLoaded(input, name)) reasons.push('it is loaded');
  return reasons;
}

function outOfTreeCheck(input: CheckInput, name: string): Check | null {
  const reasons = reliance(input, name);
  if (reasons.length === 0) return null;
  const { facts } = input;
  const release = facts.kernelRelease ?? 'the running kernel';
  const module = facts.outOfTree.find((m) => m.name === name) ?? { name, files: [], dkms: [] };
  const built = outOfTreeBuilt(input, name);
  const evidence: Evidence[] = [
    ev(`/lib/modules/${release}/{updates,extra}`, module.files.length ? module.files.join(' ') : 'no .ko file'),
    ev(`/var/lib/dkms/${name}`, module.dkms.length ? module.dkms.map((d) => `${d.version}: ${d.kernels.join(' ') || 'not built'}`).join('; ') : 'not registered'),
  ];
  const where = moduleWhere(input, name);
  if (where) evidence.push(ev(facts.modulesDep.path, `${where}`));
  const base = { id: `module:${name}`, title: `${name} (${PURPOSE[name] ?? 'out-of-tree module'})` };
  const why = reasons.join(', ');
  if (built === true) {
    return { ...base, status: 'ok', verdict: `Built for ${release} (${why}).`, evidence, fix: null };
  }
  if (built === null) {
    return { ...base, status: 'unknown', verdict: `Could not tell whether it is built for ${release} (${why}).`, evidence: [...evidence, ev(facts.modulesDep.path, facts.modulesDep.error ?? 'missing')], fix: null };
  }
  const otherKernels = [...new Set(module.dkms.flatMap((d) => d.kernels))];
  const version = module.dkms[0]?.version;
  // Configured or registered but missing breaks what worked before (a kernel update); only wanted is a warning.
  const expected = module.dkms.length > 0 || facts.moduleConfig.requests.some((r) => r.module === moduleName(name) && r.kind !== 'blacklist');
  return {
    ...base,
    status: expected ? 'fail' : 'warn',
    verdict: `Not built for ${release}${otherKernels.length ? ` (built for ${listWords(otherKernels)})` : ''}, yet ${why}.`,
    evidence,
    fix: module.dkms.length
      ? {
          text: `Build it for the running kernel with DKMS (install the kernel headers, linux-headers-${release}, first), then load it.`,
          action: { command: version ? `sudo dkms install ${name}/${version} -k ${release}` : `sudo dkms autoinstall -k ${release}` },
        }
      : { text: `Install ${name} for kernel ${release} (its DKMS package rebuilds it on every kernel update).` },
  };
}

export function outOfTreeChecks(input: CheckInput): Check[] {
  return ['vendor-reset', 'kvmfr'].map((n) => outOfTreeCheck(input, n)).filter((c): c is Check => c !== null);
}
