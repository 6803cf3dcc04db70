/**
 * Which libvirt connection URIs vfio-pilot hands to `virsh --connect`. The URI comes from the app or the command
 * line, so its shape is checked before virsh sees it: `qemu+ext://...?command=` would run any program, and a
 * stray `-` or space says the user typed something else.
 */

export const DEFAULT_CONNECT_URI = 'qemu:///system';

const DRIVERS = new Set(['qemu', 'test', 'lxc', 'xen', 'ch']);
// Not `ext` (runs the program named by ?command=) and not a custom one.
const TRANSPORTS = new Set(['ssh', 'libssh', 'libssh2', 'tcp', 'tls', 'unix']);
// The query keys libvirt documents for these transports (docs/uri.rst), minus command= and netcat=.
const QUERY_KEYS = new Set(['socket', 'keyfile', 'no_verify', 'no_tty', 'known_hosts', 'known_hosts_verify', 'sshauth', 'mode', 'proxy', 'pkipath', 'tls_priority', 'name']);

const URI_RE = /^([a-z]+)(?:\+([a-z0-9]+))?:\/\/([^/?#\s]*)(\/[^?#\s]*)(?:\?([^#\s]*))?$/;
// user@host, host, host:port, [v6]:port, with ASCII hostnames only.
const AUTHORITY_RE = /^(?:[A-Za-z0-9._-]+@)?(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** null when `uri` is acceptable, else why not (one line, for the user). */
export function checkConnectUri(uri: string): string | null {
  const m = URI_RE.exec(uri);
  if (!m) return `'${uri}' is not a libvirt connection URI (like qemu:///system, qemu:///session, qemu+ssh://user@host/system or test:///default)`;
  const [, driver, transport, authority, path, query] = m as unknown as [string, string, string | undefined, string, string, string | undefined];
  if (!DRIVERS.has(driver)) return `'${uri}': unknown hypervisor driver '${driver}' (expected one of ${[...DRIVERS].join(', ')})`;
  if (transport !== undefined && !TRANSPORTS.has(transport)) return `'${uri}': transport '${transport}' is not accepted (use ${[...TRANSPORTS].join(', ')})`;
  if (authority !== '' && !AUTHORITY_RE.test(authority)) return `'${uri}': '${authority}' is not a host name (user@host:port)`;
  if (transport !== undefined && transport !== 'unix' && authority === '') return `'${uri}': the ${transport} transport needs a host (qemu+${transport}://host/system)`;
  if (driver === 'qemu' && path !== '/system' && path !== '/session') return `'${uri}': a qemu connection ends in /system or /session`;
  if (query !== undefined) {
    for (const pair of query.split('&')) {
      const key = pair.split('=')[0]!;
      if (!QUERY_KEYS.has(key)) return `'${uri}': the URI parameter '${key}' is not accepted`;
    }
  }
  return null;
}

/** True for a URI with no host part (qemu:///system, qemu+unix:///session, test:///default): this machine. */
export function isLocalUri(uri: string): boolean {
  return /^[a-z]+(\+unix)?:\/\/\//.test(uri);
}
