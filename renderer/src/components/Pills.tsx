/**
 * The colour language of UI.md as small components: every colour comes with an icon and a word.
 * The word is the pill's own text (no wrapper element): the Devices table draws many of these a frame.
 */
import type { Finding, GroupIsolation, PciDevice } from '../../../shared/model';
import { Icon } from './Icon';

/** Drivers that leave a function ready for a VM. */
const VM_DRIVERS = new Set(['vfio-pci', 'pci-stub']);

export type DriverTone = 'vm' | 'host' | 'none';

/** Which colour a driver gets: blue when the function is ready for a VM, neutral otherwise. */
export function driverTone(driver: string | null): DriverTone {
  if (driver === null) return 'none';
  return VM_DRIVERS.has(driver) ? 'vm' : 'host';
}

export function DriverPill({ device }: { device: Pick<PciDevice, 'driver' | 'driverOverride'> }) {
  const tone = driverTone(device.driver);
  const title =
    tone === 'vm'
      ? `${device.driver}: ready for a VM`
      : tone === 'host'
        ? `${device.driver}: used by the host`
        : 'No driver bound';
  return (
    <span className={`pill pill-${tone}`} title={device.driverOverride ? `${title} (driver_override: ${device.driverOverride})` : title}>
      <Icon name={tone === 'vm' ? 'vm' : 'chip'} />
      {device.driver ?? 'no driver'}
    </span>
  );
}

export function IsolationPill({ isolation }: { isolation: GroupIsolation | null }) {
  if (isolation === null) {
    return (
      <span className="pill pill-critical">
        <Icon name="error" />
        no IOMMU group
      </span>
    );
  }
  return isolation === 'isolated' ? (
    <span className="pill pill-neutral" title="Only one device in this group: it can be passed to a VM on its own">
      <Icon name="ok" />
      isolated
    </span>
  ) : (
    <span className="pill pill-amber" title="Functions of several devices share this group: they can only be passed together">
      <Icon name="warning" />
      shared
    </span>
  );
}

/** A finding on its row: severity icon + code, the message as tooltip. */
export function FindingBadge({ finding }: { finding: Finding }) {
  return (
    <span className={`badge sev-${finding.severity}`} title={`${finding.severity}: ${finding.message}`}>
      <Icon name={finding.severity} />
      <span className="sr-only">{finding.severity} </span>
      {finding.code}
    </span>
  );
}

/** A plain attribute flag (bridge, SR-IOV, boot VGA) in a tone of the colour language. */
export function Flag({ tone, icon, children, title }: { tone: 'neutral' | 'amber' | 'critical' | 'vm'; icon: Parameters<typeof Icon>[0]['name']; children: string; title?: string }) {
  return (
    <span className={`flag pill-${tone}`} title={title}>
      <Icon name={icon} />
      {children}
    </span>
  );
}
