/** The Devices table's columns, for function rows (group rows draw one spanning cell of their own). */
import type { ReactNode } from 'react';
import type { FunctionRow } from './deviceTree';
import { DriverPill, FindingBadge, Flag } from '../../components/Pills';
import { displayName } from '../../lib/names';

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

/** A function-row column: its header text and how one function fills its cell. */
export interface DeviceColumn {
  id: string;
  header: string;
  cell(row: FunctionRow): ReactNode;
}

function DeviceName({ device: d }: { device: FunctionRow['device'] }) {
  const name = displayName(d.vendorName, d.deviceName) ?? 'Unknown device';
  const fullName = [d.vendorName, d.deviceName].filter(Boolean).join(' ') || 'Unknown device';
  return (
    <span className="device-name" title={`${fullName} [${d.vendorId}:${d.deviceId}]${d.subsystemName ? `\nSubsystem: ${d.subsystemVendorName ?? ''} ${d.subsystemName}` : ''}`}>
      <span className="ellipsis">{name}</span>
      <span className="mono ids">[{d.vendorId}:{d.deviceId}]</span>
    </span>
  );
}

function ResetMethods({ methods }: { methods: string[] | null }) {
  if (methods === null) return <span className="muted" title="reset_method not exposed by this kernel">unknown</span>;
  if (methods.length === 0) return <span className="muted">none</span>;
  return <span className="ellipsis" title={methods.join(', ')}>{methods.join(', ')}</span>;
}

export const deviceColumns: readonly DeviceColumn[] = [
  { id: 'address', header: 'Address', cell: (r) => <span className="mono">{r.device.address}</span> },
  {
    id: 'class',
    header: 'Class',
    cell: (r) => (
      <span className="ellipsis" title={classLabel(r.device)}>
        {classLabel(r.device)}
      </span>
    ),
  },
  { id: 'device', header: 'Vendor and device', cell: (r) => <DeviceName device={r.device} /> },
  { id: 'driver', header: 'Driver', cell: (r) => <DriverPill device={r.device} /> },
  {
    id: 'numa',
    header: 'NUMA',
    cell: (r) => <span className={r.device.numaNode === null ? 'muted' : undefined}>{r.device.numaNode ?? '—'}</span>,
  },
  { id: 'reset', header: 'Reset', cell: (r) => <ResetMethods methods={r.device.resetMethods} /> },
  { id: 'flags', header: 'Flags and findings', cell: (r) => <Flags row={r} /> },
];
