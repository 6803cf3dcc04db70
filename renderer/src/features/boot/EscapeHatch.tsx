/**
 * The escape hatch, before the reboot: the recovery steps, each with its own Copy button, and, once a change set
 * is applied, the one-shot boot of the configuration from before it (through the helper) with what each run did.
 */
import type { ChangeSet } from '../../../../shared/boot/apply-types';
import type { BootPlan } from '../../../../shared/boot/types';
import { Icon } from '../../components/Icon';
import { useBoot, bootStore } from './bootStore';

const copy = (text: string) => void navigator.clipboard?.writeText(text);

/** Every recovery step with a Copy button; a step's `command` in backquotes is what gets copied when there is one. */
export function RecoverySteps({ steps }: { steps: string[] }) {
  return (
    <ol className="boot-steps" aria-label="Recovery steps">
      {steps.map((s, i) => {
        const command = /`([^`]+)`/.exec(s)?.[1];
        return (
          <li key={s}>
            <span>{s}</span>
            <button type="button" className="boot-copy" aria-label={`Copy step ${i + 1}`} title={command ? `Copy ${command}` : 'Copy this step'} onClick={() => copy(command ?? s)}>
              Copy
            </button>
          </li>
        );
      })}
    </ol>
  );
}

/** What the plan keeps bootable at apply, or why this bootloader cannot boot it once. */
export function OneShotPreview({ hatch }: { hatch: BootPlan['escapeHatch'] }) {
  const one = hatch.oneshot;
  if (!one)
    return (
      <p>
        <Icon name="info" /> No one-shot boot of the previous configuration here: {hatch.oneshotUnavailable}
      </p>
    );
  return (
    <p>
      Apply also keeps the configuration running now bootable: entry <code>{one.entry}</code> boots <code>{one.kernel}</code> with <code>{one.initrd}</code> (a copy of{' '}
      <code>{one.keep.from}</code> made before the rebuild) and <code>{one.cmdline.join(' ')}</code>. After the apply, <code>{one.argv.join(' ')}</code> boots it once.
    </p>
  );
}

function Runs({ change }: { change: ChangeSet }) {
  const runs = change.oneshots ?? [];
  if (!runs.length) return null;
  return (
    <ul className="boot-oneshots" aria-label="One-shot runs">
      {runs.map((r) => (
        <li key={r.time}>
          <span className="mono">{r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</span> <code>{r.argv.join(' ')}</code>{' '}
          {r.exitCode === 0 ? (
            <>
              <Icon name="ok" /> the next boot only is the configuration from before {change.id}; the one after boots the new one.
            </>
          ) : r.exitCode === null ? (
            <>
              <Icon name="info" /> not run on this root ({r.output}): on the host it sets the next boot.
            </>
          ) : (
            <>
              <Icon name="error" /> failed (exit {r.exitCode}): {r.output.trim().slice(-300)}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** After an apply: the newest applied change set's one-shot, and the recovery steps to keep at hand. */
export function EscapeHatchPanel({ steps }: { steps: string[] }) {
  const changes = useBoot((s) => s.changes);
  const running = useBoot((s) => s.running);
  // A later change set on top of an applied one keeps no second entry (the first one's is still there): the
  // newest applied change set with a one-shot is the one to escape through.
  const latest = changes.find((c) => c.status === 'applied' && c.oneshot) ?? changes.find((c) => c.status === 'applied');
  if (!latest) return null;
  const argv = latest.oneshot?.argv;
  return (
    <section className="card" aria-labelledby="boot-hatch-title">
      <h2 id="boot-hatch-title">Escape hatch: before you reboot</h2>
      {argv ? (
        <>
          <p>
            Change set <span className="mono">{latest.id}</span> kept the configuration from before it bootable. Boot it once, and the change only from the boot after:{' '}
            <code>{argv.join(' ')}</code>, through the helper.
          </p>
          <div className="boot-actions">
            <button type="button" className="primary" disabled={running !== null} onClick={() => void bootStore.getState().oneshot(latest.id)}>
              Boot the previous configuration once
            </button>
            <button type="button" onClick={() => copy(`vfio-pilot oneshot ${latest.id}`)} aria-label="Copy the one-shot command">
              Copy <code>vfio-pilot oneshot {latest.id}</code>
            </button>
          </div>
          <Runs change={latest} />
        </>
      ) : (
        <p>
          <Icon name="info" /> Change set <span className="mono">{latest.id}</span> has no one-shot: this bootloader cannot boot the previous configuration once (the plan said why).
        </p>
      )}
      {steps.length ? (
        <>
          <h3>If the host does not come back</h3>
          <RecoverySteps steps={steps} />
        </>
      ) : null}
    </section>
  );
}
