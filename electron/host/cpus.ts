/**
 * The CPU topology from sys/devices/system/cpu: per online logical CPU its core, package, SMT siblings, NUMA node and
 * last-level-cache group, read the way the kernel writes them (Documentation/ABI/stable/sysfs-devices-system-cpu,
 * drivers/base/topology.c, drivers/base/cacheinfo.c). Offline CPUs have no topology or cache directory: they are
 * listed apart. A file that is missing or unreadable leaves its field null and says so in a notice.
 */
import path from 'node:path';
import type { Cpu, NumaNode } from '../../shared/model';
import { formatCpuList } from '../../shared/analysis/cpulist';
import { type AttrRead, listDir, parseCpuList, readAttr, readLink, readText } from './sysfs';
import type { NoticeSink } from './system';

const CPU_DIR = 'sys/devices/system/cpu';

export interface CpuReading {
  /** Online CPUs, by id. */
  cpus: Cpu[];
  /** CPUs present in sysfs but offline; null when the CPU directory cannot be listed. */
  offline: number[] | null;
}

/** Reads one sysfs file under the CPU directory; absent and unreadable both give null, each with its notice. */
function readRel(root: string, rel: string, notice: NoticeSink, absentIsNormal = false, read?: AttrRead): string | null {
  // Every file here is a sysfs attribute (at most a page): one read, not a read to EOF (~800 files on 56 CPUs).
  const r = read ?? readAttr(`${root}/${rel}`);
  if (r.kind === 'value') return r.value.trim();
  if (r.kind === 'error') notice(`/${rel} cannot be read: ${r.message}`);
  else if (!absentIsNormal) notice(`/${rel} is missing`);
  return null;
}

function readInt(root: string, rel: string, notice: NoticeSink, read?: AttrRead): number | null {
  const text = readRel(root, rel, notice, false, read);
  if (text === null) return null;
  const n = Number(text);
  // core_id and physical_package_id are %d: -1 is what the kernel prints when it does not know.
  if (/^-?\d+$/.test(text) && n >= 0) return n;
  notice(`/${rel}: malformed '${text}' (want a whole number >= 0)`);
  return null;
}

function readList(root: string, rel: string, notice: NoticeSink): number[] | null {
  const text = readRel(root, rel, notice);
  if (text === null) return null;
  try {
    return parseCpuList(text);
  } catch (err) {
    notice(`/${rel}: ${(err as Error).message}`);
    return null;
  }
}

/** The online set: `online` (a cpulist), else per-CPU `cpuN/online` files (absent on CPUs that cannot go offline). */
function onlineSet(root: string, ids: number[], notice: NoticeSink): Set<number> {
  const r = readText(path.join(root, CPU_DIR, 'online'));
  if (r.kind === 'value') {
    try {
      return new Set(parseCpuList(r.value));
    } catch (err) {
      notice(`/${CPU_DIR}/online: ${(err as Error).message}; reading cpuN/online instead`);
    }
  } else if (r.kind === 'error') notice(`/${CPU_DIR}/online cannot be read: ${r.message}; reading cpuN/online instead`);
  const online = new Set<number>();
  for (const id of ids) {
    const flag = readRel(root, `${CPU_DIR}/cpu${id}/online`, notice, true);
    if (flag === null || flag === '1') online.add(id);
    else if (flag !== '0') notice(`/${CPU_DIR}/cpu${id}/online: malformed '${flag}' (want 0 or 1); counted as online`);
  }
  return online;
}

/**
 * The NUMA node from the `cpuN/nodeM` link the kernel adds (register_cpu_under_node), else from the nodes' cpulists.
 * The link the cpulists predict is tried first (one readlink); only when it is not there is the directory listed.
 */
function nodeOf(root: string, id: number, nodeByCpu: Map<number, number>): number | null {
  const dir = `${root}/${CPU_DIR}/cpu${id}`;
  const expected = nodeByCpu.get(id);
  if (expected !== undefined && readLink(`${dir}/node${expected}`).kind === 'value') return expected;
  const entries = listDir(dir);
  for (const e of entries.kind === 'value' ? entries.value : []) {
    const m = /^node(\d+)$/.exec(e);
    if (m && readLink(`${dir}/${e}`).kind === 'value') return Number(m[1]);
  }
  return expected ?? null;
}

/**
 * The last-level cache: of the data or unified caches in `cache/indexN`, the one with the highest `level`; its
 * `shared_cpu_list` (the CPUs sharing it) is returned. null (with a notice) when the CPU lists no cache.
 */
function llcOf(root: string, id: number, notice: NoticeSink): number[] | null | 'no-cache-dir' {
  const rel = `${CPU_DIR}/cpu${id}/cache`;
  const listing = listDir(path.join(root, rel));
  if (listing.kind === 'absent') return 'no-cache-dir';
  if (listing.kind === 'error') {
    notice(`/${rel} cannot be listed: ${listing.message}`);
    return null;
  }
  let best: { level: number; index: string } | null = null;
  for (const index of listing.value.filter((e) => /^index\d+$/.test(e))) {
    const type = readRel(root, `${rel}/${index}/type`, notice);
    if (type === 'Instruction' || type === null) continue;
    const level = readInt(root, `${rel}/${index}/level`, notice);
    if (level !== null && (!best || level > best.level)) best = { level, index };
  }
  if (!best) {
    notice(`/${rel} lists no readable data or unified cache: no last-level cache known for CPU ${id}`);
    return null;
  }
  const shared = readList(root, `${rel}/${best.index}/shared_cpu_list`, notice);
  if (shared === null) return null;
  if (!shared.includes(id)) {
    notice(`/${rel}/${best.index}/shared_cpu_list: '${formatCpuList(shared)}' does not list CPU ${id} itself`);
    return null;
  }
  return shared;
}

/**
 * One CPU's clean read answers for the others its files name: the CPUs in its LLC's shared_cpu_list share that
 * cache, and its thread_siblings_list are the threads of its core (same core and package, the same list). So each
 * such set is read once, from its lowest online CPU (on 56 CPUs in two sockets: 2 cache directories read instead
 * of 56; the package and siblings of 28 CPUs instead of 56). Only a read that gave no notice answers for others:
 * a CPU whose own file is garbled, missing or names another set is still read, and said, on its own.
 */
interface SharedSets {
  llc: Map<number, number>;
  core: Map<number, { core: number; package: number; siblings: number[] }>;
}

/** The LLC group (lowest CPU sharing the last-level cache), from a CPU of the same set when one was read cleanly. */
function llcGroup(root: string, id: number, notice: NoticeSink, sets: SharedSets): number | null | 'no-cache-dir' {
  const known = sets.llc.get(id);
  if (known !== undefined) return known;
  let clean = true;
  const shared = llcOf(root, id, (n) => {
    clean = false;
    notice(n);
  });
  if (shared === null || shared === 'no-cache-dir') return shared;
  const group = Math.min(...shared);
  if (clean) for (const other of shared) sets.llc.set(other, group);
  return group;
}

/**
 * Core, package and SMT siblings into `cpu`, from a sibling read cleanly before when there is one. 'no-topology-dir'
 * when the CPU has no topology directory (said once for all such CPUs by the caller); the directory is listed only
 * when core_id is not there.
 */
function readTopology(root: string, cpu: Cpu, notice: NoticeSink, sets: SharedSets): 'no-topology-dir' | undefined {
  const dir = `${CPU_DIR}/cpu${cpu.id}`;
  const topo = `${dir}/topology`;
  // core_id is still read on every CPU: a sibling whose own core_id is unreadable or another core is read and said.
  const coreRead = readAttr(`${root}/${topo}/core_id`);
  const known = sets.core.get(cpu.id);
  if (known && coreRead.kind === 'value' && coreRead.value.trim() === String(known.core)) {
    Object.assign(cpu, { core: known.core, package: known.package, siblings: [...known.siblings] });
    return undefined;
  }
  if (coreRead.kind === 'absent') {
    const entries = listDir(`${root}/${dir}`);
    if (entries.kind === 'value' && !entries.value.includes('topology')) return 'no-topology-dir';
  }
  let clean = true;
  const said = (n: string) => {
    clean = false;
    notice(n);
  };
  cpu.core = readInt(root, `${topo}/core_id`, said, coreRead);
  cpu.package = readInt(root, `${topo}/physical_package_id`, said);
  const siblings = readList(root, `${topo}/thread_siblings_list`, said);
  if (siblings && !siblings.includes(cpu.id)) said(`/${topo}/thread_siblings_list: '${formatCpuList(siblings)}' does not list CPU ${cpu.id} itself`);
  else cpu.siblings = siblings;
  if (clean && cpu.core !== null && cpu.package !== null && siblings) {
    for (const other of siblings) sets.core.set(other, { core: cpu.core, package: cpu.package, siblings });
  }
  return undefined;
}

export function readCpus(root: string, numa: NumaNode[], notice: NoticeSink): CpuReading {
  const listing = listDir(path.join(root, CPU_DIR));
  if (listing.kind !== 'value') {
    notice(listing.kind === 'absent' ? `/${CPU_DIR} is missing: no CPU topology` : `/${CPU_DIR} cannot be listed: ${listing.message}`);
    return { cpus: [], offline: null };
  }
  const ids = listing.value
    .map((e) => /^cpu(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const online = onlineSet(root, ids, notice);
  const nodeByCpu = new Map<number, number>();
  for (const n of numa) for (const c of n.cpus) nodeByCpu.set(c, n.id);

  const cpus: Cpu[] = [];
  const offline: number[] = [];
  // Whole directories missing are said once for all CPUs, not once per file.
  const noTopology: number[] = [];
  const noCache: number[] = [];
  const sets: SharedSets = { llc: new Map(), core: new Map() };
  for (const id of ids) {
    if (!online.has(id)) {
      offline.push(id);
      continue;
    }
    const node = nodeOf(root, id, nodeByCpu);
    const llc = llcGroup(root, id, notice, sets);
    if (llc === 'no-cache-dir') noCache.push(id);
    const cpu: Cpu = { id, core: null, package: null, node, siblings: null, llc: llc === 'no-cache-dir' ? null : llc };
    cpus.push(cpu);
    if (readTopology(root, cpu, notice, sets) === 'no-topology-dir') noTopology.push(id);
  }
  if (noTopology.length > 0) notice(`/${CPU_DIR}/cpuN/topology is missing for CPUs ${formatCpuList(noTopology)}: their core, package and SMT siblings are unknown`);
  if (noCache.length > 0) notice(`/${CPU_DIR}/cpuN/cache is missing for CPUs ${formatCpuList(noCache)}: their last-level cache group is unknown`);
  return { cpus, offline };
}
