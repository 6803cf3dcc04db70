/**
 * Boot: make the isolation survive a reboot. Pick the GPUs, see the layout vfio-pilot detected, the plan as a
 * unified diff per file and the commands in order, then Apply through the helper (progress streams in) and, any
 * time later, Roll back a change set byte for byte. The escape hatch is shown before anything is applied.
 */
import { useEffect, useState } from 'react';
import type { BootPlan } from '../../../../shared/boot/types';
import type { PciDevice } from '../../../../shared/model';
import { Icon } from '../../components/Icon';
import { Modal } from '../../components/Modal';
import { displayName } from '../../lib/names';
import { useInventory } from '../../stores/app';
import { bootStore, useBoot } from './bootStore';
import { UnifiedDiff } from './Diff';
import { EscapeHatchPanel, OneShotPreview, RecoverySteps } from './EscapeHatch';
import './boot.css';

const BOOTLOADER: Record<BootPlan['layout']['bootloader'], string> = {
  grub: 'GRUB',
  grubby: 'GRUB with BLS entries (grubby)',
  'systemd-boot': 'systemd-boot',
  kernelstub: 'systemd-boot through kernelstub',
  'proxmox-boot-tool': 'proxmox-boot-tool',
  'rpm-ostree': 'rpm-ostree',
};

function GpuPicker({ gpus }: { gpus: PciDevice[] }) {
  const selection = useBoot((s) => s.selection);
  return (
    <section className="card" aria-labelledby="boot-select-title">
      <h2 id="boot-select-title">GPUs to isolate at boot</h2>
      {gpus.length === 0 ? <p className="muted">This host has no display controller.</p> : null}
      <ul className="boot-gpus">
        {gpus.map((d) => (
          <li key={d.address}>
            <label>
              <input type="checkbox" checked={selection.includes(d.address)} onChange={() => bootStore.getState().toggle(d.address)} />
              <span className="mono">{d.address}</span>
              <span>{displayName(d.vendorName, d.deviceName) ?? 'unknown device'}</span>
              <span className="mono muted">
                [{d.vendorId}:{d.deviceId}]
              </span>
              <span className={`pill ${d.driver === 'vfio-pci' ? 'pill-vm' : d.driver ? 'pill-host' : 'pill-none'}`}>{d.driver ?? 'no driver'}</span>
              {d.bootVga ? (
                <span className="pill pill-critical">
                  <Icon name="display" />
                  <span>boot display</span>
                </span>
              ) : null}
            </label>
          </li>
        ))}
      </ul>
      <p className="muted">The rest of each card&apos;s IOMMU group is added to the plan.</p>
    </section>
  );
}

function PlanView({ plan }: { plan: BootPlan }) {
  const l = plan.layout;
  const empty = !plan.files.length && !plan.commands.length;
  return (
    <>
      <section className="card" aria-labelledby="boot-layout-title">
        <h2 id="boot-layout-title">Detected layout</h2>
        <dl className="boot-layout">
          <dt>Distribution</dt>
          <dd>{l.distro}</dd>
          <dt>Bootloader</dt>
          <dd>{BOOTLOADER[l.bootloader]}</dd>
          <dt>Initramfs</dt>
          <dd>{l.initramfs}</dd>
          <dt>Firmware</dt>
          <dd>{l.firmware === 'uefi' ? 'UEFI' : 'BIOS'}</dd>
          <dt>From</dt>
          <dd className="mono">{l.evidence.map((e) => `/${e}`).join(' ')}</dd>
          <dt>Binding</dt>
          <dd>{plan.method === 'ids' ? 'vfio-pci by vendor:device ID' : 'by address (driver_override from the initramfs): a host device has the same IDs'}</dd>
          <dt>Functions</dt>
          <dd className="mono">{plan.selection.join(' ')}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="boot-plan-title">
        <h2 id="boot-plan-title">Plan</h2>
        {empty ? (
          <p>
            <Icon name="ok" /> Nothing to change: this host already isolates the selection at boot.
          </p>
        ) : (
          <p>
            Kernel arguments: add <code>{plan.kernelArgs.add.join(' ') || '—'}</code>; remove <code>{plan.kernelArgs.remove.join(' ') || '—'}</code>
          </p>
        )}
        {plan.files.map((f) => (
          <div className="boot-file" key={f.path}>
            <h3>
              <span className="mono">{f.path}</span>
              <span className="pill pill-neutral">{f.before === null ? 'new' : 'changed'}</span>
              <span className="muted">{f.reason}</span>
            </h3>
            <UnifiedDiff diff={f.diff} label={`Diff of ${f.path}`} />
          </div>
        ))}
        {plan.commands.length ? (
          <>
            <h3>Then, in order</h3>
            <ol className="boot-commands" aria-label="Commands">
              {plan.commands.map((c, i) => (
                <li key={i}>
                  <code>{c.argv.join(' ')}</code> <span className="muted">— {c.reason}</span>
                </li>
              ))}
            </ol>
          </>
        ) : null}
      </section>
      {/* Nothing to change, nothing to escape from: after an apply the escape hatch panel below has the steps. */}
      {empty ? null : (
        <section className="card" aria-labelledby="boot-escape-title">
          <h2 id="boot-escape-title">If the host does not come back</h2>
          <OneShotPreview hatch={plan.escapeHatch} />
          <RecoverySteps steps={plan.escapeHatch.steps} />
          <button type="button" onClick={() => void navigator.clipboard?.writeText(plan.escapeHatch.steps.join('\n'))}>
            Copy all the recovery steps
          </button>
        </section>
      )}
      {plan.notes.length ? (
        <section className="card" aria-labelledby="boot-notes-title">
          <h2 id="boot-notes-title">Notes</h2>
          <ul>
            {plan.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

function ConfirmApply({ plan, onClose }: { plan: BootPlan; onClose(): void }) {
  return (
    <Modal labelledBy="boot-confirm-title" onClose={onClose} className="modal">
      <div className="dialog-head">
        <h2 id="boot-confirm-title">Apply the boot plan?</h2>
      </div>
      <div className="dialog-body">
        <p>These files are backed up, then replaced; every change can be rolled back from this screen.</p>
        <ul>
          {plan.files.map((f) => (
            <li key={f.path} className="mono">
              {f.path}
            </li>
          ))}
        </ul>
        {plan.escapeHatch.oneshot ? (
          <p>
            First, for the escape hatch: <span className="mono">{plan.escapeHatch.oneshot.keep.from}</span> is copied to <span className="mono">{plan.escapeHatch.oneshot.keep.to}</span>.
          </p>
        ) : null}
        <p>Then: {plan.commands.map((c) => c.argv[0]).join(', ') || 'nothing to run'}.</p>
      </div>
      <div className="dialog-foot">
        <button type="button" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => {
            onClose();
            void bootStore.getState().apply();
          }}
        >
          Apply
        </button>
      </div>
    </Modal>
  );
}

const RUNNING = { apply: 'Applying…', rollback: 'Rolling back…', oneshot: 'Setting the one-shot…' } as const;
const DONE = { apply: 'Apply', rollback: 'Rollback', oneshot: 'One-shot' } as const;

function RunLog() {
  const running = useBoot((s) => s.running);
  const log = useBoot((s) => s.log);
  const result = useBoot((s) => s.result);
  const error = useBoot((s) => s.error);
  if (!running && !result && !error) return null;
  const a = result?.answer;
  return (
    <section className="card" aria-labelledby="boot-run-title">
      <h2 id="boot-run-title">{running ? RUNNING[running] : result ? DONE[result.kind] : 'Apply'}</h2>
      <pre className="boot-log" role="log" aria-label="Progress">
        {log.map((p) => `${p.step.padEnd(8)}${p.message}`).join('\n')}
      </pre>
      {a ? (
        <p role="status">
          {a.ok && result?.kind === 'oneshot' ? (
            <>
              <Icon name={a.change?.oneshots?.at(-1)?.exitCode === 0 ? 'ok' : 'info'} />{' '}
              {a.change?.oneshots?.at(-1)?.exitCode === 0
                ? `One-shot set: the next boot only is the configuration from before ${a.change.id}.`
                : `One-shot recorded for ${a.change?.id ?? ''}, not run on this root.`}
            </>
          ) : a.ok ? (
            <>
              <Icon name="ok" /> {a.change ? `Change set ${a.change.id}: ${a.change.status}, ${a.change.files.length} files.` : 'Nothing to change.'}
            </>
          ) : (
            <>
              <Icon name="error" /> {a.error?.code}: {a.error?.message}
            </>
          )}
        </p>
      ) : null}
      {error ? (
        <p role="status">
          <Icon name="error" /> {error.code}: {error.message}
        </p>
      ) : null}
    </section>
  );
}

function ChangeSets() {
  const changes = useBoot((s) => s.changes);
  const running = useBoot((s) => s.running);
  const [confirm, setConfirm] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="boot-changes-title">
      <h2 id="boot-changes-title">Change sets</h2>
      {changes.length === 0 ? <p className="muted">Nothing applied yet.</p> : null}
      <ul className="boot-changes">
        {changes.map((c) => (
          <li key={c.id} aria-label={`Change set ${c.id}`}>
            <span className="mono">{c.id}</span>
            <span className={`pill ${c.status === 'applied' ? 'pill-vm' : c.status === 'failed' ? 'pill-critical' : 'pill-neutral'}`}>{c.status}</span>
            <span className="muted">{c.files.map((f) => f.path).join(', ')}</span>
            {c.status === 'applied' ? (
              <button type="button" disabled={running !== null} onClick={() => setConfirm(c.id)}>
                Roll back
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {confirm ? (
        <Modal labelledBy="boot-rollback-title" onClose={() => setConfirm(null)} className="modal">
          <div className="dialog-head">
            <h2 id="boot-rollback-title">Roll back {confirm}?</h2>
          </div>
          <div className="dialog-body">
            <p>Every file of this change set goes back to its bytes before the apply, and the boot files are rebuilt.</p>
          </div>
          <div className="dialog-foot">
            <button type="button" onClick={() => setConfirm(null)} data-autofocus>
              Cancel
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => {
                const id = confirm;
                setConfirm(null);
                void bootStore.getState().rollback(id);
              }}
            >
              Roll back
            </button>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}

export function BootScreen() {
  const inventory = useInventory((s) => s.inventory);
  const answer = useBoot((s) => s.answer);
  const planning = useBoot((s) => s.planning);
  const running = useBoot((s) => s.running);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    void bootStore.getState().loadChanges();
  }, []);
  const gpus = (inventory?.devices ?? []).filter((d) => d.classCode.startsWith('03'));
  const plan = answer?.plan ?? null;
  const appliedSteps = useBoot((s) => s.appliedSteps);
  return (
    <div className="boot-screen">
      <h1>Boot</h1>
      <GpuPicker gpus={gpus} />
      {answer?.refusal ? (
        <section className="card" role="alert">
          <Icon name="error" /> {answer.refusal.code}: {answer.refusal.message}
        </section>
      ) : null}
      {plan ? <PlanView plan={plan} /> : !planning ? <p className="muted">Select a GPU to see the plan.</p> : null}
      {plan && (plan.files.length > 0 || plan.commands.length > 0) ? (
        <div className="boot-actions">
          <button type="button" className="primary" disabled={running !== null || planning} onClick={() => setConfirming(true)}>
            Apply…
          </button>
          <span className="muted">Through the privileged helper; backed up and recorded as a change set.</span>
        </div>
      ) : null}
      {confirming && plan ? <ConfirmApply plan={plan} onClose={() => setConfirming(false)} /> : null}
      <RunLog />
      <EscapeHatchPanel steps={appliedSteps} />
      <ChangeSets />
    </div>
  );
}
