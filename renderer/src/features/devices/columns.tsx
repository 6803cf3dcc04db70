/** The Devices table's columns, for function rows (group rows draw one spanning cell of their own). */
import type { ReactNode } from 'react';
import type { FunctionRow } from './deviceTree';
import { DriverPill, FindingBadge, Flag } from '../../components/Pills';
import { displayName } from '../../lib/names';

/** `VGA compatible controller [0300]`. */
export function classLabel(d: FunctionRow['device']): string {
  return `${d.className ?? 'Unknown class'} [${d.classCode.slice(0, 4)}]`;
}

/** The flags cell's content: the cell itself lays the flags out (one element fewer per row). */
function flags(row: FunctionRow): ReactNode[] {
  const d = row.device;
  const out: ReactNode[] = [];
  if (d.bootVga && !row.findings.some((f) => f.code === 'BOOT_VGA')) {
    out.push(
      <Flag key="boot-vga" tone="critical" icon="display" title="The firmware used this function as the boot display">
        boot VGA
      </Flag>,
    );
  }
  if (d.isBridge) {
    out.push(
      <Flag key="bridge" tone="neutral" icon="bridge" title="A PCI bridge: stays with the host">
        bridge
      </Flag>,
    );
  }
  if (d.sriov) {
    out.push(
      <Flag key="sriov" tone="neutral" icon="chip" title="SR-IOV virtual functions enabled / supported">
        {`SR-IOV ${d.sriov.numVfs}/${d.sriov.totalVfs}`}
      </Flag>,
    );
  }
  if (d.errors.length > 0) {
    out.push(
      <Flag key="errors" tone="critical" icon="error" title={d.errors.map((e) => `${e.file}: ${e.message}`).join('\n')}>
        {`unreadable: ${d.errors.map((e) => e.file).join(', ')}`}
      </Flag>,
    );
  }
  row.findings.forEach((f, i) => out.push(<FindingBadge key={`${f.code}-${i}`} finding={f} />));
  return out;
}

/**
 * A function-row column: its header text and how one function fills its cell. The table draws every visible
 * row again while scrolling, so cells hold plain text where they can: `className` and `title` go on the cell.
 */
export interface DeviceColumn {
  id: string;
  header: string;
  /** Extra classes of the cell (`cell-line`: one line of text; `cell-text`: the same, ended by an ellipsis). */
  className?(row: FunctionRow): string;
  title?(row: FunctionRow): string | undefined;
  cell(row: FunctionRow): ReactNode;
}

function deviceTitle(d: FunctionRow['device']): string {
  const fullName = [d.vendorName, d.deviceName].filter(Boolean).join(' ') || 'Unknown device';
  return `${fullName} [${d.vendorId}:${d.deviceId}]${d.subsystemName ? `\nSubsystem: ${d.subsystemVendorName ?? ''} ${d.subsystemName}` : ''}`;
}

function resetText(methods: string[] | null): string {
  if (methods === null) return 'unknown';
  return methods.length === 0 ? 'none' : methods.join(', ');
}

export const deviceColumns: readonly DeviceColumn[] = [
  { id: 'address', header: 'Address', className: () => 'cell-line mono', cell: (r) => r.device.address },
  { id: 'class', header: 'Class', className: () => 'cell-text', title: (r) => classLabel(r.device), cell: (r) => classLabel(r.device) },
  {
    id: 'device',
    header: 'Vendor and device',
    className: () => 'device-name',
    title: (r) => deviceTitle(r.device),
    cell: (r) => (
      <>
        <span className="ellipsis">{displayName(r.device.vendorName, r.device.deviceName) ?? 'Unknown device'}</span>
        <span className="mono ids">{`[${r.device.vendorId}:${r.device.deviceId}]`}</span>
      </>
    ),
  },
  { id: 'driver', header: 'Driver', cell: (r) => <DriverPill device={r.device} /> },
  {
    id: 'numa',
    header: 'NUMA',
    className: (r) => (r.device.numaNode === null ? 'muted' : ''),
    cell: (r) => (r.device.numaNode === null ? '—' : String(r.device.numaNode)),
  },
  {
    id: 'reset',
    header: 'Reset',
    className: (r) => (r.device.resetMethods === null || r.device.resetMethods.length === 0 ? 'cell-text muted' : 'cell-text'),
    title: (r) => (r.device.resetMethods === null ? 'reset_method not exposed by this kernel' : r.device.resetMethods.length === 0 ? undefined : resetText(r.device.resetMethods)),
    cell: (r) => resetText(r.device.resetMethods),
  },
  { id: 'flags', header: 'Flags and findings', className: () => 'flags', cell: flags },
];
