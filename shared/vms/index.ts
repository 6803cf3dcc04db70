/** libvirt connection URIs: the check the CLI, the IPC schema and the URI chooser share. */
export { DEFAULT_CONNECT_URI, checkConnectUri, isLocalUri } from './uri';
