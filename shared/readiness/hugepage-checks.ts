/**
 * Hugepages: what is reserved per NUMA node (and free), whether 1 GiB pages are possible (`pdpe1gb`), and whether
 * the nodes the GPUs hang off have any: a VM pinned next to its GPU wants its memory on that node too.
 */
import { pciClass } from '../model/pci';
import type { CheckInput } from './common';
import { ev, listWords, params, readProblem, sizeWords } from './common';
import type { Check, Evidence } from './types';

const GIB = 1048576;

export function hugepagesCheck(input: CheckInput): Check {
  const { host, numa, devices } = input.inventory;
  const { cpuFlags } = input.facts;
  const base = { id: 'hugepages', title: 'Hugepages for guest memory' };
  const evidence: Evidence[] = [];
  const pools = numa.length > 0 ? numa.flatMap((n) => n.hugepages.map((p) => ({ node: n.id as number | null, ...p }))) : host.hugepages.map((p) => ({ node: null, ...p }));
  for (const p of pools) {
    const dir = p.node === null ? '/sys/kernel/mm/hugepages' : `/sys/devices/system/node/node${p.node}/hugepages`;
    if (p.total > 0 || p.sizeKiB === GIB) evidence.push(ev(`${dir}/hugepages-${p.sizeKiB}kB/nr_hugepages`, `${p.total} (${p.free} free)`));
  }
  const oneGig = cpuFlags.pdpe1gb;
  evidence.push(cpuFlags.status === 'ok' ? ev(cpuFlags.path, oneGig ? 'flags include pdpe1gb (1 GiB pages possible)' : 'no pdpe1gb flag (2 MiB pages only)') : readProblem(cpuFlags));
  const problems = host.notices.filter((n) => n.includes('hugepages'));
  for (const n of problems) evidence.push(ev(n.split(':')[0] ?? 'hugepages', n));

  const reserved = pools.filter((p) => p.total > 0);
  const describe = (list: typeof pools) =>
    list.map((p) => `${p.node === null ? '' : `node ${p.node}: `}${p.total} \u00d7 ${sizeWords(p.sizeKiB)} (${p.free} free)`).join(', ');
  const wantOneGig = (params(input)?.get('hugepagesz') ?? params(input)?.get('default_hugepagesz')) === '1G';

  if (problems.length > 0 && reserved.length === 0) {
    return { ...base, status: 'unknown', verdict: 'The hugepage pools could not all be read.', evidence, fix: null };
  }
  if (wantOneGig && oneGig === false) {
    return {
      ...base,
      status: 'warn',
      verdict: 'The command line asks for 1 GiB pages, but the CPU has no pdpe1gb: the kernel ignores that request.',
      evidence,
      fix: { text: 'Use 2 MiB pages instead: replace hugepagesz=1G (and default_hugepagesz=1G) with a 2 MiB hugepages= count.' },
    };
  }
  if (reserved.length === 0) {
    const size = oneGig ? 'default_hugepagesz=1G hugepagesz=1G hugepages=N' : 'hugepages=N (2 MiB pages)';
    return {
      ...base,
      status: 'ok',
      verdict: `None reserved: guests use ordinary memory (fine; hugepages are an optimisation).${oneGig ? ' 1 GiB pages are possible.' : ' Only 2 MiB pages are possible (no pdpe1gb).'}`,
      evidence,
      fix: { text: `Optional: reserve guest memory at boot with ${size} on the kernel command line.` },
    };
  }
  // Multi-node: a node with GPUs but no reserved pages, while other nodes have some.
  const reservedNodes = new Set(reserved.map((p) => p.node));
  const gpuNodes = [...new Set(devices.filter((d) => pciClass.isDisplay(d.classCode) && d.bootVga !== true && d.numaNode !== null).map((d) => d.numaNode!))].sort();
  const bare = numa.length > 1 ? gpuNodes.filter((n) => !reservedNodes.has(n)) : [];
  if (bare.length > 0) {
    const size = reserved[0]!.sizeKiB;
    const node = bare[0]!;
    return {
      ...base,
      status: 'warn',
      verdict: `Reserved only on ${listWords([...reservedNodes].map((n) => `node ${n}`))} (${describe(reserved)}), but GPUs also sit on ${listWords(bare.map((n) => `node ${n}`))}: a VM pinned next to those GPUs would take its memory from another node.`,
      evidence,
      fix: {
        text: `Reserve pages on ${listWords(bare.map((n) => `node ${n}`))} too (per-node counts in /sys/devices/system/node/nodeN/hugepages; 1 GiB pages are best reserved at boot).`,
        action: { command: `echo N | sudo tee /sys/devices/system/node/node${node}/hugepages/hugepages-${size}kB/nr_hugepages` },
      },
    };
  }
  return { ...base, status: 'ok', verdict: `Reserved: ${describe(reserved)}.${oneGig ? '' : ' (2 MiB only: no pdpe1gb.)'}`, evidence, fix: null };
}
