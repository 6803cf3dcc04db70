/** Designed loading and error states shared by every screen. */
import type { IpcError } from '../../../shared/ipc';
import { Icon } from './Icon';

export function LoadingState() {
  return (
    <div className="state-card" role="status">
      <Icon name="refresh" className="state-icon spin" />
      <div>
        <h2>Reading the host…</h2>
        <p className="muted">PCI functions, IOMMU groups and NUMA nodes from sysfs.</p>
      </div>
    </div>
  );
}

export function ErrorState({ error, onRetry, retrying }: { error: IpcError; onRetry(): void; retrying: boolean }) {
  return (
    <section className="state-card critical" role="alert" aria-labelledby="error-title">
      <Icon name="error" className="state-icon" />
      <div>
        <h2 id="error-title">Could not read the host</h2>
        <p>
          <code className="error-code">{error.code}</code> {error.message}
        </p>
        {error.detail ? <p className="evidence mono">{error.detail}</p> : null}
        <button type="button" className="primary" onClick={onRetry} disabled={retrying}>
          {retrying ? 'Retrying…' : 'Retry'}
        </button>
      </div>
    </section>
  );
}
