/** libvirt through virsh: connection URIs, domains (list, dumpxml, define, history, undo). */
export { DEFAULT_CONNECT_URI, checkConnectUri } from '../../shared/vms/uri';
export { runVirsh, DEFAULT_VIRSH_TIMEOUT_MS } from './virsh';
export type { VirshOptions } from './virsh';
export { DomainHistory, HISTORY_LIMIT, defaultStateDir } from './history';
export { readDomainXml } from './domain-xml';
export { listDomains, dumpInactiveXml, defineDomain, domainHistory, undoDefine } from './domains';
export type { LibvirtOptions, DefineOptions, UndoResult } from './domains';
