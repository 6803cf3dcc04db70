/**
 * The system helper, when it needs the user: missing, outdated or unsafe (with what to do), or, in the AppImage,
 * installed by it and removable. The install is explained before pkexec asks for a password.
 */
import { useEffect } from 'react';
import { Icon } from '../../components/Icon';
import { Modal } from '../../components/Modal';
import { helperInstallStore, useHelperInstall } from '../../stores/app';
import { selectBanner } from '../../stores/helperInstall';
import type { HelperInstallAction } from '../../stores/helperInstall';

const WORDS: Record<HelperInstallAction, { title: string; action: string; running: string; done: string }> = {
  install: { title: 'Install the privileged helper', action: 'Install helper', running: 'Installing: answer the password prompt…', done: 'The helper is installed.' },
  remove: { title: 'Remove the privileged helper', action: 'Remove helper', running: 'Removing: answer the password prompt…', done: 'The helper is removed.' },
};

function InstallDialog() {
  const phase = useHelperInstall((s) => s.phase);
  const status = useHelperInstall((s) => s.status);
  const store = helperInstallStore.getState();
  if (phase.kind === 'closed' || !status) return null;
  const words = WORDS[phase.action];
  const bundle = status.launcher.replace(/\/libexec\/vfio-pilot\/vfio-pilot-helper$/, '/lib/vfio-pilot/vfio-pilot-helper.cjs');
  const policy = status.launcher.replace(/\/libexec\/vfio-pilot\/vfio-pilot-helper$/, '/share/polkit-1/actions/org.vfio-pilot.helper.policy');
  return (
    <Modal labelledBy="helper-install-title" describedBy="helper-install-desc" onClose={store.close} className="helper-dialog" focusKey={phase.kind}>
      <header className="dialog-head">
        <h2 id="helper-install-title">{words.title}</h2>
        <button type="button" className="icon-button" aria-label="Close dialog" onClick={store.close} disabled={phase.kind === 'running'}>
          <Icon name="close" />
        </button>
      </header>
      <div className="dialog-body" id="helper-install-desc" aria-busy={phase.kind === 'running'}>
        {phase.action === 'install' ? (
          <>
            <p>
              Moving a device between drivers needs root. vfio-pilot does it through a small helper that polkit runs after asking
              for an administrator password. An AppImage cannot carry a program owned by root, so it copies one, once, to:
            </p>
            <ul className="mono">
              <li>{status.launcher}</li>
              <li>{bundle}</li>
              <li>{policy}</li>
            </ul>
            <p>
              These files belong to root and nobody else can change them. The system asks for an administrator password now
              (pkexec); nothing else is changed. You can remove them from here later.
            </p>
          </>
        ) : (
          <p>
            This removes the helper and its polkit policy ({status.launcher} and the files beside it). Binding devices then needs
            the helper again. The journal of past changes in /var/lib/vfio-pilot is kept.
          </p>
        )}
        {phase.kind === 'running' ? (
          <p className="dialog-note" role="status">
            <Icon name="refresh" className="spin" /> {words.running}
          </p>
        ) : null}
        {phase.kind === 'done' ? (
          <p role="status">
            <Icon name="ok" /> {words.done}
          </p>
        ) : null}
        {phase.kind === 'failed' ? (
          <p role="alert" className="text-critical">
            <Icon name="error" /> {phase.error.code === 'CANCELLED' ? 'Cancelled: the password prompt was dismissed; nothing changed.' : phase.error.message}
          </p>
        ) : null}
      </div>
      <footer className="dialog-foot">
        {phase.kind === 'confirm' ? (
          <>
            <button type="button" data-autofocus onClick={store.close}>
              Cancel
            </button>
            <button type="button" className={phase.action === 'remove' ? 'danger' : 'primary'} onClick={() => void store.confirm()}>
              {words.action}
            </button>
          </>
        ) : (
          <button type="button" className="primary" data-autofocus onClick={store.close} disabled={phase.kind === 'running'}>
            Close
          </button>
        )}
      </footer>
    </Modal>
  );
}

export function HelperInstallBanner() {
  const banner = useHelperInstall(selectBanner);
  const status = useHelperInstall((s) => s.status);
  useEffect(() => {
    void helperInstallStore.getState().refresh();
  }, []);
  return (
    <>
      {banner === 'problem' && status ? (
        <div className="banner warning helper-banner" role="alert">
          <Icon name="warning" />
          <span>{status.message}</span>
          {status.canInstall ? (
            <button type="button" onClick={() => helperInstallStore.getState().open('install')}>
              {status.state === 'missing' ? 'Install helper…' : 'Replace helper…'}
            </button>
          ) : null}
        </div>
      ) : null}
      {banner === 'installed' && status ? (
        <div className="helper-installed muted">
          <span>
            System helper installed (protocol {status.installed}) at <span className="mono">{status.launcher}</span>
          </span>
          <button type="button" className="link-button" onClick={() => helperInstallStore.getState().open('remove')}>
            Remove…
          </button>
        </div>
      ) : null}
      <InstallDialog />
    </>
  );
}
