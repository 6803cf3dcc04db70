/**
 * Topology: where each GPU sits and which cores to pin its guest to. NUMA nodes side by side with their cores (SMT
 * siblings paired, grouped by last-level cache), memory, hugepages and GPUs; the pinning advice per GPU; functions
 * the firmware places on no node; the distance matrix.
 */
import { useMemo, useState } from 'react';
import type { PciDevice } from '../../../../shared/model';
import { buildTopology, pinAdvice, type TopologyModel } from '../../../../shared/analysis/topology';
import { formatCpuList } from '../../../../shared/analysis/cpulist';
import { inventoryStore, useInventory } from '../../stores/app';
import { ErrorState, LoadingState } from '../../components/States';
import { DriverPill } from '../../components/Pills';
import { Icon } from '../../components/Icon';
import { revealDevice } from '../devices/reveal';
import { deviceLabel, NodeCard, nodeLabel, type Lit } from './NodeCard';
import './topology.css';

function PinTable({ model, lit, onLight }: { model: TopologyModel; lit: Lit; onLight(l: Lit): void }) {
  const gpus = model.nodes.flatMap((n) => n.gpus.map((g) => ({ gpu: g, node: n, advice: pinAdvice(model, g) })));
  if (gpus.length === 0) return null;
  return (
    <section className="card topo-pins" aria-label="Where to pin">
      <h2>Where to pin a guest</h2>
      <p className="muted">Give the guest&apos;s vCPUs whole cores on the node its GPU hangs off; hover a row to see them on the map.</p>
      <table>
        <thead>
          <tr>
            <th>GPU</th>
            <th>Node</th>
            <th>Pin vCPUs to</th>
            <th>Host keeps</th>
          </tr>
        </thead>
        <tbody>
          {gpus.map(({ gpu, node, advice }) => (
            <tr
              key={gpu.address}
              className={lit?.kind === 'gpu' && lit.address === gpu.address ? 'active' : undefined}
              onMouseEnter={() => advice && onLight({ kind: 'gpu', address: gpu.address, cpus: node.cpus, pin: advice.cpus })}
              onMouseLeave={() => onLight(null)}
              title={advice?.reason}
            >
              <td>
                <span className="ellipsis">{deviceLabel(gpu)}</span> <code>{gpu.address}</code>{' '}
                {gpu.bootVga ? <span className="muted">(boot display)</span> : null}
              </td>
              <td>{nodeLabel(node.id)}</td>
              <td>{advice ? <code className="topo-pin-list">{advice.cpuList}</code> : <span className="muted">unknown</span>}</td>
              <td>{advice?.hostCpus.length ? <code>{formatCpuList(advice.hostCpus)}</code> : <span className="muted">-</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Unplaced({ devices }: { devices: PciDevice[] }) {
  if (devices.length === 0) return null;
  return (
    <section className="card topo-unplaced" aria-label="Devices without a NUMA node">
      <h2>
        <Icon name="warning" /> Not on any node
      </h2>
      <p>
        The firmware does not say which node these hang from (their <code>numa_node</code> reads -1), so no pinning follows from
        them. <code>lstopo</code> places them under the whole machine for the same reason.
      </p>
      <ul>
        {devices.map((d) => (
          <li key={d.address}>
            <button type="button" className="link-button" onClick={() => revealDevice(d)}>
              <code>{d.address}</code>
            </button>{' '}
            {deviceLabel(d)} <DriverPill device={d} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Distances({ model }: { model: TopologyModel }) {
  if (!model.distances || model.nodes.length < 2) return null;
  return (
    <section className="card topo-distances" aria-label="NUMA distances">
      <h2>Distances</h2>
      <p className="muted">Relative memory access cost, as the firmware reports it (10 = local).</p>
      <table>
        <thead>
          <tr>
            <th />
            {model.nodes.map((n) => (
              <th key={n.id} scope="col">{nodeLabel(n.id)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {model.distances.map((row, i) => (
            <tr key={i}>
              <th scope="row">{nodeLabel(model.nodes[i]!.id)}</th>
              {row.map((d, j) => (
                <td key={j} className={i === j ? 'local' : undefined}>{d}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function TopologyScreen() {
  const inventory = useInventory((s) => s.inventory);
  const error = useInventory((s) => s.error);
  const loading = useInventory((s) => s.loading);
  const [lit, setLit] = useState<Lit>(null);
  const model = useMemo(() => (inventory ? buildTopology(inventory) : null), [inventory]);

  if (!inventory || !model) {
    if (error) return <ErrorState error={error} onRetry={() => void inventoryStore.getState().refresh()} retrying={loading} />;
    return <LoadingState />;
  }
  const gpuCount = model.nodes.reduce((s, n) => s + n.gpus.length, 0);
  const threads = inventory.cpus.length;
  const pinOf = (gpu: PciDevice) => pinAdvice(model, gpu)?.cpus ?? [];
  return (
    <div className="summary-screen topology-screen">
      <div className="screen-toolbar">
        <h1>Topology</h1>
        <span className="toolbar-counts muted">
          {model.nodes.length} NUMA node{model.nodes.length === 1 ? '' : 's'} · {model.packages.length} package{model.packages.length === 1 ? '' : 's'} · {threads} CPUs
          {model.smt ? ' (SMT)' : ''} · {gpuCount} GPU{gpuCount === 1 ? '' : 's'}
          {model.offline.length ? ` · offline: ${formatCpuList(model.offline)}` : ''}
        </span>
      </div>
      {threads === 0 ? (
        <section className="state-card" role="status">
          <Icon name="info" className="state-icon" />
          <div>
            <h2>The CPU topology could not be read</h2>
            <p>{inventory.host.notices.filter((n) => n.includes('/cpu')).join(' ') || 'sys/devices/system/cpu lists no CPU.'}</p>
          </div>
        </section>
      ) : null}
      <div className="topo-legend muted" aria-hidden="true">
        <span><i className="swatch sibling" /> SMT siblings</span>
        <span><i className="swatch llc" /> same last-level cache</span>
        <span><i className="swatch pin" /> pin the guest here</span>
        <span><i className="swatch host" /> left to the host</span>
      </div>
      <div className="topo-nodes">
        {model.nodes.map((n) => (
          <NodeCard key={n.id ?? 'all'} node={n} lit={lit} onLight={setLit} pinOf={pinOf} />
        ))}
      </div>
      <Unplaced devices={model.unplaced} />
      <div className="topo-bottom">
        <PinTable model={model} lit={lit} onLight={setLit} />
        <Distances model={model} />
      </div>
    </div>
  );
}
