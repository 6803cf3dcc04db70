/** The libvirt connection: the usual URIs to pick from, or any other the app accepts (checked as typed). */
import { useState } from 'react';
import { checkConnectUri } from '../../../../shared/vms';

const KNOWN = [
  { uri: 'qemu:///system', words: 'qemu:///system (this machine, system VMs)' },
  { uri: 'qemu:///session', words: "qemu:///session (this machine, your user's VMs)" },
  { uri: 'test:///default', words: "test:///default (libvirt's demo driver)" },
];
const OTHER = '__other__';

export function ConnectionChooser({ connect, onConnect }: { connect: string; onConnect(uri: string): string | null }) {
  const known = KNOWN.some((k) => k.uri === connect);
  const [other, setOther] = useState(!known);
  const [typed, setTyped] = useState(known ? '' : connect);
  const [error, setError] = useState<string | null>(null);
  const typedProblem = typed === '' ? null : checkConnectUri(typed);

  return (
    <div className="connection">
      <label htmlFor="vm-connect">Connection</label>
      <select
        id="vm-connect"
        value={other ? OTHER : connect}
        onChange={(e) => {
          if (e.target.value === OTHER) {
            setOther(true);
            return;
          }
          setOther(false);
          setError(onConnect(e.target.value));
        }}
      >
        {KNOWN.map((k) => (
          <option key={k.uri} value={k.uri}>
            {k.words}
          </option>
        ))}
        <option value={OTHER}>Other (qemu+ssh://user@host/system …)</option>
      </select>
      {other ? (
        <form
          className="connection-other"
          onSubmit={(e) => {
            e.preventDefault();
            setError(onConnect(typed));
          }}
        >
          <input
            aria-label="Connection URI"
            className="mono"
            value={typed}
            placeholder="qemu+ssh://user@host/system"
            spellCheck={false}
            aria-invalid={typedProblem !== null}
            aria-describedby={typedProblem || error ? 'vm-connect-problem' : undefined}
            onChange={(e) => setTyped(e.target.value.trim())}
          />
          <button type="submit" disabled={typed === '' || typedProblem !== null}>
            Connect
          </button>
        </form>
      ) : null}
      {typedProblem || error ? (
        <span id="vm-connect-problem" className="connection-problem" role="alert">
          {typedProblem ?? error}
        </span>
      ) : null}
    </div>
  );
}
