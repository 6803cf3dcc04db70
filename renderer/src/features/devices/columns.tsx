/** The Devices table's columns, for function rows (group rows draw one spanning cell of their own). */
import { createColumnHelper } from '@tanstack/react-table';
import type { DeviceRow, FunctionRow } from './deviceTree';
import { DriverPill, FindingBadge, Flag } from '../../components/Pills';
import { displayName } from '../../lib/names';

const column = createColumnHelper<DeviceRow>();

function fn(row: DeviceRow): FunctionRow | null {
  return row.kind === 'function' ? row : null;
}

/** `VGA compatible controller [0300]`. */
export function classLabel(d: FunctionRow['device']): string {
  return `${d.className ?? 'Unknown class'} [${d.classCode.slice(0, 4)}]`;
}

function Flags({ row }: { row: FunctionRow }) {
  const d = row.device;
  const hasBootVgaFinding = row.findings.some((f) => f.code === 'BOOT_VGA');
  return (
    <span className="flags">
      {d.bootVga && !hasBootVgaFinding ? (
        <Flag tone="critical" icon="display" title="The firmware used this function as the boot display">
          boot VGA
        </Flag>
      ) : null}
      {d.isBridge ? (
        <Flag tone="neutral" icon="bridge" title="A PCI bridge: stays with the host">
          bridge
        </Flag>
      ) : null}
      {d.sriov ? (
        <Flag tone="neutral" icon="chip" title="SR-IOV virtual functions enabled / supported">
          {`SR-IOV ${d.sriov.numVfs}/${d.sriov.totalVfs}`}
        </Flag>
      ) : null}
      {d.errors.length > 0 ? (
        <Flag tone="critical" icon="error" title={d.errors.map((e) => `${e.file}: ${e.message}`).join('\n')}>
          {`unreadable: ${d.errors.map((e) => e.file).join(', ')}`}
        </Flag>
      ) : null}
      {row.findings.map((f, i) => (
        <FindingBadge key={`${f.code}-${i}`} finding={f} />
      ))}
    </span>
  );
}

export const deviceColumns = [
  column.display({
    id: 'address',
    header: 'Address',
    cell: ({ row }) => <span className="mono">{fn(row.original)?.device.address}</span>,
  }),
  column.display({
    id: 'class',
    header: 'Class',
    cell: ({ row }) => {
      const r = fn(row.original);
      return r ? <span className="ellipsis" title={classLabel(r.device)}>{classLabel(r.device)}</span> : null;
    },
  }),
  column.display({
    id: 'device',
    header: 'Vendor and device',
    cell: ({ row }) => {
      const r = fn(row.original);
      if (!r) return null;
      const d = r.device;
      const name = displayName(d.vendorName, d.deviceName) ?? 'Unknown device';
      const fullName = [d.vendorName, d.deviceName].filter(Boolean).join(' ') || 'Unknown device';
      return (
        <span className="device-name" title={`${fullName} [${d.vendorId}:${d.deviceId}]${d.subsystemName ? `\nSubsystem: ${d.subsystemVendorName ?? ''} ${d.subsystemName}` : ''}`}>
          <span className="ellipsis">{name}</span>
          <span className="mono ids">[{d.vendorId}:{d.deviceId}]</span>
        </span>
      );
    },
  }),
  column.display({
    id: 'driver',
    header: 'Driver',
    cell: ({ row }) => {
      const r = fn(row.original);
      return r ? <DriverPill device={r.device} /> : null;
    },
  }),
  column.display({
    id: 'numa',
    header: 'NUMA',
    cell: ({ row }) => {
      const r = fn(row.original);
      return r ? <span className={r.device.numaNode === null ? 'muted' : undefined}>{r.device.numaNode ?? '—'}</span> : null;
    },
  }),
  column.display({
    id: 'reset',
    header: 'Reset',
    cell: ({ row }) => {
      const r = fn(row.original);
      if (!r) return null;
      const methods = r.device.resetMethods;
      if (methods === null) return <span className="muted" title="reset_method not exposed by this kernel">unknown</span>;
      if (methods.length === 0) return <span className="muted">none</span>;
      return <span className="ellipsis" title={methods.join(', ')}>{methods.join(', ')}</span>;
    },
  }),
  column.display({
    id: 'flags',
    header: 'Flags and findings',
    cell: ({ row }) => {
      const r = fn(row.original);
      return r ? <Flags row={r} /> : null;
    },
  }),
];
