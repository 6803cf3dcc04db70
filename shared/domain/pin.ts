/**
 * "Pin to the GPU's node": vCPUs on whole cores of the node the GPU hangs off (SMT siblings together, the
 * node's first core left to the host), the emulator and I/O threads on the node's remaining cores, memory
 * bound to the node, and a guest CPU topology that matches (threads per core as on the host).
 */
import type { DomainModel, VcpuPin } from './domain-model';
import { formatCpuset } from './domain-model';
import type { HostView } from './host-view';
import { gpuNode } from './host-view';
import {
  indentSnippet, indentUnit, insertChildrenEdit, lineIndent, quoteOf, removeAttributeEdit, removeElementEdit, setAttributeEdit,
} from './text-edits';
import type { EditResult, TextEdit } from './types';
import { attr, childElement, childElements } from './xml-reader';

export interface PinPlan {
  node: number;
  /** vcpu → host CPU. */
  vcpus: number[];
  /** Host CPUs for the emulator and I/O threads. */
  emulator: number[];
  topology: { sockets: number; cores: number; threads: number };
  notes: string[];
}

/** Chooses CPUs; pure arithmetic over the node's cores. */
export function planPinning(model: DomainModel, host: HostView, node?: number): { ok: true; plan: PinPlan } | { ok: false; error: { code: 'NO_TOPOLOGY' | 'NOT_ENOUGH_CPUS' | 'NOTHING_TO_DO'; message: string } } {
  const notes: string[] = [];
  const target = node ?? gpuNode(model, host)?.node;
  if (target === undefined) {
    return { ok: false, error: { code: 'NO_TOPOLOGY', message: 'no NUMA node to pin to: the domain passes no host device with a known NUMA node (give the node explicitly)' } };
  }
  const n = model.vcpus;
  if (n === null || n < 1) return { ok: false, error: { code: 'NOTHING_TO_DO', message: 'the domain has no readable <vcpu> count' } };
  const cores = host.cores(target);
  if (cores.length === 0) return { ok: false, error: { code: 'NO_TOPOLOGY', message: `the host lists no CPUs on NUMA node ${target}` } };
  if (!host.siblingsKnown) notes.push('the host inventory has no CPU topology (cpus): SMT siblings unknown, each CPU treated as a core');
  const hostCore = cores[0]!;
  const avail = cores.slice(1);
  const threadsAvail = avail.reduce((s, c) => s + c.length, 0);
  if (threadsAvail < n) {
    return {
      ok: false,
      error: {
        code: 'NOT_ENOUGH_CPUS',
        message: `node ${target} has ${threadsAvail} CPUs besides its first core (CPUs ${formatCpuset(hostCore)}, kept for the host); the domain has ${n} vCPUs: lower <vcpu> to ${threadsAvail} or fewer`,
      },
    };
  }
  const vcpus: number[] = [];
  let used = 0;
  for (const core of avail) {
    if (vcpus.length >= n) break;
    used++;
    for (const cpu of core) if (vcpus.length < n) vcpus.push(cpu);
  }
  const rest = avail.slice(used).flat();
  let emulator = rest;
  if (rest.length === 0) {
    emulator = hostCore;
    notes.push(`no core of node ${target} is left after the vCPUs: the emulator shares the host's core ${formatCpuset(hostCore)}`);
  }
  // Strict binding with ordinary pages needs the memory free on that node when the guest starts.
  const free = host.inventory.numa.find((x) => x.id === target)?.memFreeKiB ?? null;
  if (!model.hugepages && model.memoryKiB !== null && free !== null && free < model.memoryKiB) {
    const gib = (kib: number) => `${+(kib / 1048576).toFixed(1)} GiB`;
    notes.push(`node ${target} has ${gib(free)} free now for a ${gib(model.memoryKiB)} guest: the strict memory binding fails to start unless memory is freed there or the guest uses hugepages reserved on node ${target}`);
  }
  const t = Math.max(1, ...avail.slice(0, used).map((c) => c.length));
  const topology = n % t === 0 ? { sockets: 1, cores: n / t, threads: t } : { sockets: 1, cores: n, threads: 1 };
  return { ok: true, plan: { node: target, vcpus, emulator, topology, notes } };
}

/** The edits for a plan, changing only what pinning needs. */
export function pinEdits(model: DomainModel, plan: PinPlan): TextEdit[] {
  const { doc } = model;
  const q = quoteOf(doc, model.domain);
  const a = (name: string, value: string | number) => ` ${name}=${q}${value}${q}`;
  const edits: (TextEdit | null)[] = [];
  const emu = formatCpuset(plan.emulator);
  const pinLines = [
    ...plan.vcpus.map((cpu, v) => `<vcpupin${a('vcpu', v)}${a('cpuset', cpu)}/>`),
    `<emulatorpin${a('cpuset', emu)}/>`,
    ...model.iothreads.map((id) => `<iothreadpin${a('iothread', id)}${a('cpuset', emu)}/>`),
  ];
  const memoryLine = `<memory${a('mode', 'strict')}${a('nodeset', plan.node)}/>`;
  const topo = plan.topology;
  const topologyLine = `<topology${a('sockets', topo.sockets)}${a('cores', topo.cores)}${a('threads', topo.threads)}/>`;

  // <vcpu>: explicit pins replace placement='auto' and a cpuset that could point elsewhere.
  if (model.vcpuEl) {
    if (attr(model.vcpuEl, 'placement') === 'auto') edits.push(setAttributeEdit(doc, model.vcpuEl, 'placement', 'static'));
    edits.push(removeAttributeEdit(doc, model.vcpuEl, 'cpuset'));
  }

  const topLevel: string[] = [];
  if (model.cputune) {
    const old: VcpuPin['el'][] = [...model.vcpupins.map((p) => p.el), ...childElements(model.cputune, 'emulatorpin'), ...childElements(model.cputune, 'iothreadpin')].sort((x, y) => x.start - y.start);
    if (old.length) {
      // The first old pin's line becomes the new pins; the other old pins go.
      const first = removeElementEdit(doc, old[0]!);
      const ind = lineIndent(doc.text, old[0]!.start) ?? '';
      const body = pinLines.map((l) => indentSnippet(l, ind, indentUnit(doc))).join('\n');
      edits.push({ from: first.from, to: first.to, insert: first.from === old[0]!.start ? body : body + '\n' });
      for (const el of old.slice(1)) edits.push(removeElementEdit(doc, el));
    } else {
      edits.push(insertChildrenEdit(doc, model.cputune, pinLines));
    }
  } else {
    topLevel.push(['<cputune>', ...pinLines.map((l) => '  ' + l), '</cputune>'].join('\n'));
  }

  if (model.numatune) {
    if (model.memoryNodesEl) {
      edits.push(setAttributeEdit(doc, model.memoryNodesEl, 'mode', 'strict'));
      edits.push(setAttributeEdit(doc, model.memoryNodesEl, 'nodeset', String(plan.node)));
      edits.push(removeAttributeEdit(doc, model.memoryNodesEl, 'placement'));
    } else {
      edits.push(insertChildrenEdit(doc, model.numatune, [memoryLine]));
    }
  } else {
    topLevel.push(['<numatune>', '  ' + memoryLine, '</numatune>'].join('\n'));
  }
  if (topLevel.length) {
    const anchor = model.cputune ?? childElement(model.domain, 'iothreadids') ?? childElement(model.domain, 'iothreads') ?? model.vcpuEl;
    edits.push(insertChildrenEdit(doc, model.domain, topLevel, anchor));
  }

  if (model.cpu) {
    const t = childElement(model.cpu, 'topology');
    if (t) {
      edits.push(setAttributeEdit(doc, t, 'sockets', String(topo.sockets)));
      edits.push(setAttributeEdit(doc, t, 'cores', String(topo.cores)));
      edits.push(setAttributeEdit(doc, t, 'threads', String(topo.threads)));
      for (const extra of ['dies', 'clusters']) if (attr(t, extra) !== null) edits.push(setAttributeEdit(doc, t, extra, '1'));
    } else {
      edits.push(insertChildrenEdit(doc, model.cpu, [topologyLine]));
    }
  } else {
    const anchor = model.features ?? model.os;
    edits.push(insertChildrenEdit(doc, model.domain, [['<cpu>', '  ' + topologyLine, '</cpu>'].join('\n')], anchor));
  }
  return edits.filter((e): e is TextEdit => e !== null);
}

export function pinToNode(model: DomainModel, host: HostView, node?: number): EditResult {
  const r = planPinning(model, host, node);
  if (!r.ok) return r;
  return { ok: true, edits: pinEdits(model, r.plan), notes: r.plan.notes };
}
