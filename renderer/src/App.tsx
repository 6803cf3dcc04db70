/** The app shell: left rail (screens in the order of the job), host header, the current screen. */
import { useEffect } from 'react';
import { useInventory, inventoryStore, useReadiness } from './stores/app';
import { selectDevicesStatus, type ScreenStatus } from './stores/inventory';
import { selectReadinessStatus } from './stores/readiness';
import { useNavigation, type ScreenId } from './stores/navigation';
import { assertNever } from '../../shared/ipc/result';
import { Icon } from './components/Icon';
import { DevicesScreen } from './features/devices/DevicesScreen';
import { ReadinessScreen } from './features/readiness/ReadinessScreen';
import { HelperInstallBanner } from './features/helper-install/HelperInstallBanner';
import { VmsScreen, useVmsStatus } from './features/vms';
import { TopologyScreen } from './features/topology/TopologyScreen';
import { selectTopologyStatus } from './features/topology/status';
import { BootScreen } from './features/boot/BootScreen';

interface ScreenEntry {
  id: ScreenId;
  label: string;
}

// In the order of the job; only screens that work are listed (Topology, Boot and VMs join after Devices).
const SCREENS: ScreenEntry[] = [
  { id: 'readiness', label: 'Readiness' },
  { id: 'devices', label: 'Devices' },
  { id: 'topology', label: 'Topology' },
  { id: 'boot', label: 'Boot' },
  { id: 'vms', label: 'VMs' },
];

const STATUS_WORDS: Record<ScreenStatus, string> = {
  ok: 'ok',
  attention: 'needs attention',
  blocked: 'blocked',
  unknown: 'not read yet',
};

function StatusDot({ status }: { status: ScreenStatus }) {
  const icon = status === 'ok' ? 'ok' : status === 'attention' ? 'warning' : status === 'blocked' ? 'error' : 'info';
  return (
    <span className={`rail-status status-${status}`}>
      <Icon name={icon} />
      <span>{STATUS_WORDS[status]}</span>
    </span>
  );
}

function Rail({ current, onGo }: { current: ScreenId; onGo(id: ScreenId): void }) {
  const devicesStatus = useInventory(selectDevicesStatus);
  const readinessStatus = useReadiness(selectReadinessStatus);
  const topologyStatus = useInventory(selectTopologyStatus);
  const vmsStatus = useVmsStatus();
  const statusOf: Record<ScreenId, ScreenStatus> = { readiness: readinessStatus, devices: devicesStatus, topology: topologyStatus, boot: 'unknown', vms: vmsStatus };
  return (
    <nav className="rail" aria-label="Screens">
      <div className="brand">
        <Icon name="vm" />
        <span>vfio-pilot</span>
      </div>
      <ul>
        {SCREENS.map((s) => (
          <li key={s.id}>
            <a
              href={`#/${s.id}`}
              aria-current={s.id === current ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                onGo(s.id);
              }}
            >
              <span className="rail-label">{s.label}</span>
              <StatusDot status={statusOf[s.id]} />
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

// Made once, while the first scan is still running: the first Intl use loads locale data (a tenth of a second on
// a slow machine), which would otherwise land between the inventory arriving and the table painting.
// The options are toLocaleString's and toLocaleTimeString's defaults, so the text is the same.
const READ_AT_TIME = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: 'numeric', second: 'numeric' });
const READ_AT_FULL = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });

function HostHeader() {
  const inventory = useInventory((s) => s.inventory);
  const loading = useInventory((s) => s.loading);
  const loadedAt = useInventory((s) => s.loadedAt);
  const host = inventory?.host;
  const virt = host?.cpu.virtualization;
  return (
    <header className="host-header" aria-label="Host">
      {host ? (
        <dl className="host-facts">
          <div>
            <dt>Host</dt>
            <dd className="hostname">{host.hostname ?? 'unknown host'}</dd>
          </div>
          <div>
            <dt>Kernel</dt>
            <dd className="mono">{host.kernelRelease ?? 'unknown'}</dd>
          </div>
          <div className="cpu-fact">
            <dt>CPU</dt>
            <dd className="ellipsis" title={host.cpu.modelName ?? undefined}>
              {host.cpu.modelName ?? host.cpu.vendorId ?? 'unknown'} · {host.cpu.logicalCpus} threads
              {virt ? ` · ${virt === 'vmx' ? 'VT-x' : 'AMD-V'}` : ' · no VT-x/AMD-V'}
            </dd>
          </div>
          <div>
            <dt>IOMMU</dt>
            <dd>
              {host.iommuGroupsPresent ? (
                <span className="pill pill-vm">
                  <Icon name="ok" />
                  <span>IOMMU on</span>
                </span>
              ) : (
                <span className="pill pill-critical">
                  <Icon name="error" />
                  <span>IOMMU off</span>
                </span>
              )}
            </dd>
          </div>
        </dl>
      ) : (
        <span className="muted">{loading ? 'Reading the host…' : 'Host not read'}</span>
      )}
      <div className="header-actions">
        {loadedAt !== null ? (
          <span className="muted" title={READ_AT_FULL.format(loadedAt)}>
            Read at {READ_AT_TIME.format(loadedAt)}
          </span>
        ) : null}
        <button type="button" onClick={() => void inventoryStore.getState().refresh({ reread: true })} disabled={loading} aria-busy={loading}>
          <Icon name="refresh" className={loading ? 'spin' : undefined} />
          <span>{loading ? 'Refreshing…' : 'Refresh'}</span>
        </button>
      </div>
    </header>
  );
}

function Screen({ id }: { id: ScreenId }) {
  switch (id) {
    case 'readiness':
      return <ReadinessScreen />;
    case 'devices':
      return <DevicesScreen />;
    case 'topology':
      return <TopologyScreen />;
    case 'boot':
      return <BootScreen />;
    case 'vms':
      return <VmsScreen />;
    default:
      return assertNever(id);
  }
}

export function App() {
  const screen = useNavigation((s) => s.screen);
  const go = useNavigation((s) => s.go);

  useEffect(() => {
    const store = inventoryStore.getState();
    void store.refresh();
    return store.watchHost();
  }, []);

  return (
    <div className="app">
      <Rail current={screen} onGo={go} />
      <div className="app-main">
        <HostHeader />
        <HelperInstallBanner />
        <main className="screen">
          <Screen id={screen} />
        </main>
      </div>
    </div>
  );
}
