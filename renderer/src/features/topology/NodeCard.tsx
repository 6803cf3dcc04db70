/**
 * One NUMA node as a card: its memory and hugepages, the GPUs that hang off it (name, address, IOMMU group, driver
 * in the Devices screen's colours), its cores as small squares (SMT siblings paired, grouped by last-level cache so
 * CCXs and CCDs show) and its other devices. What is lit comes from the screen: a hovered core lights its siblings
 * and LLC group, a hovered GPU lights the node's cores.
 */
import type { PciDevice } from '../../../../shared/model';
import type { TopoCore, TopoLlcGroup, TopoNode } from '../../../../shared/analysis/topology';
import { formatCpuList } from '../../../../shared/analysis/cpulist';
import { DriverPill } from '../../components/Pills';
import { Icon } from '../../components/Icon';
import { displayName } from '../../lib/names';
import { revealDevice } from '../devices/reveal';

/** What the pointer or focus is on. */
export type Lit =
  | { kind: 'core'; siblings: number[]; llc: number[] }
  | { kind: 'gpu'; address: string; cpus: number[]; pin: number[] }
  | null;

export const nodeLabel = (id: number | null) => (id === null ? 'All CPUs' : `Node ${id}`);

export function gib(kib: number | null): string {
  return kib === null ? '?' : `${(kib / 1048576).toFixed(1)} GiB`;
}

export function pageSize(kib: number): string {
  return kib >= 1048576 ? `${kib / 1048576} GiB` : kib >= 1024 ? `${kib / 1024} MiB` : `${kib} KiB`;
}

export function deviceLabel(d: PciDevice): string {
  return displayName(d.vendorName, d.deviceName) ?? `[${d.vendorId}:${d.deviceId}]`;
}

function threadClass(cpu: number, lit: Lit): string {
  const classes = ['topo-thread'];
  if (lit?.kind === 'core') {
    if (lit.siblings.includes(cpu)) classes.push('lit-sibling');
    else if (lit.llc.includes(cpu)) classes.push('lit-llc');
  } else if (lit?.kind === 'gpu' && lit.cpus.includes(cpu)) {
    classes.push('lit', lit.pin.includes(cpu) ? 'lit-pin' : 'lit-host');
  }
  return classes.join(' ');
}

function Core({ core, group, node, lit, onLight }: { core: TopoCore; group: TopoLlcGroup; node: TopoNode; lit: Lit; onLight(l: Lit): void }) {
  const label = `Core ${core.core ?? '?'}${core.package !== null ? ` of package ${core.package}` : ''}: CPU${core.threads.length > 1 ? 's' : ''} ${core.threads.join(', ')}`;
  const light = () => onLight({ kind: 'core', siblings: core.threads, llc: group.cpus });
  return (
    <div
      className="topo-core"
      role="group"
      tabIndex={0}
      aria-label={label}
      title={`${label}\nLast-level cache shared with CPUs ${formatCpuList(group.cpus)}`}
      onMouseEnter={light}
      onFocus={light}
      onMouseLeave={() => onLight(null)}
      onBlur={() => onLight(null)}
    >
      {core.threads.map((cpu) => (
        <span key={cpu} className={threadClass(cpu, lit)} data-cpu={cpu} data-node={node.id ?? ''}>
          {cpu}
        </span>
      ))}
    </div>
  );
}

function GpuButton({ gpu, lit, onLight, cpus, pin }: { gpu: PciDevice; lit: Lit; onLight(l: Lit): void; cpus: number[]; pin: number[] }) {
  const light = () => onLight({ kind: 'gpu', address: gpu.address, cpus, pin });
  const active = lit?.kind === 'gpu' && lit.address === gpu.address;
  return (
    <li>
      <button
        type="button"
        className={`topo-gpu${active ? ' active' : ''}${gpu.bootVga ? ' boot' : ''}`}
        aria-label={`GPU ${gpu.address} ${deviceLabel(gpu)}: open in Devices`}
        onMouseEnter={light}
        onFocus={light}
        onMouseLeave={() => onLight(null)}
        onBlur={() => onLight(null)}
        onClick={() => revealDevice(gpu)}
      >
        <Icon name="display" />
        <span className="topo-gpu-text">
          <span className="topo-gpu-name ellipsis">{deviceLabel(gpu)}</span>
          <span className="topo-gpu-meta">
            <code>{gpu.address}</code>
            <span>{gpu.iommuGroup === null ? 'no IOMMU group' : `group ${gpu.iommuGroup}`}</span>
            {gpu.bootVga ? <span className="pill pill-critical"><Icon name="error" /><span>boot display</span></span> : null}
            <DriverPill device={gpu} />
          </span>
        </span>
      </button>
    </li>
  );
}

export function NodeCard({ node, lit, onLight, pinOf }: { node: TopoNode; lit: Lit; onLight(l: Lit): void; pinOf(gpu: PciDevice): number[] }) {
  const huge = node.hugepages.filter((p) => p.total > 0);
  const gpuLit = lit?.kind === 'gpu' && node.gpus.some((g) => g.address === lit.address);
  return (
    <section className={`topo-node card${gpuLit ? ' lit' : ''}`} aria-label={nodeLabel(node.id)} data-node={node.id ?? ''}>
      <header className="topo-node-head">
        <h2>{nodeLabel(node.id)}</h2>
        <span className="muted">
          {node.packages.length ? `package ${node.packages.join(', ')} · ` : ''}
          {node.cpus.length} CPUs · {formatCpuList(node.cpus) || '-'}
        </span>
      </header>
      <dl className="topo-memory">
        <div>
          <dt>Memory</dt>
          <dd>
            {gib(node.memTotalKiB)} <span className="muted">({gib(node.memFreeKiB)} free)</span>
          </dd>
        </div>
        <div>
          <dt>Hugepages</dt>
          <dd>{huge.length ? huge.map((p) => `${p.total} × ${pageSize(p.sizeKiB)} (${p.free} free)`).join(', ') : <span className="muted">none reserved</span>}</dd>
        </div>
      </dl>
      {node.gpus.length ? (
        <ul className="topo-gpus" aria-label={`GPUs on ${nodeLabel(node.id)}`}>
          {node.gpus.map((g) => (
            <GpuButton key={g.address} gpu={g} lit={lit} onLight={onLight} cpus={node.cpus} pin={pinOf(g)} />
          ))}
        </ul>
      ) : (
        <p className="muted topo-no-gpu">No GPU on this node.</p>
      )}
      <div className="topo-llcs">
        {node.llcGroups.map((group) => (
          <div key={`${group.package}:${group.id}`} className="topo-llc" role="group" aria-label={`Last-level cache of CPUs ${formatCpuList(group.cpus)}`}>
            <div className="topo-llc-label muted">
              {group.id === null ? 'cache unknown' : `L3 · ${group.cores.length} cores`} · <span className="mono">{formatCpuList(group.cpus)}</span>
            </div>
            <div className="topo-cores">
              {group.cores.map((core) => (
                <Core key={core.threads[0]} core={core} group={group} node={node} lit={lit} onLight={onLight} />
              ))}
            </div>
          </div>
        ))}
      </div>
      {node.devices.length ? (
        <details className="topo-devices">
          <summary>
            {node.devices.length} other device{node.devices.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {node.devices.map((d) => (
              <li key={d.address}>
                <button type="button" className="link-button" onClick={() => revealDevice(d)}>
                  <code>{d.address}</code>
                </button>{' '}
                <span className="ellipsis">{deviceLabel(d)}</span> <DriverPill device={d} />
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}
