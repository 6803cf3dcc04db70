/**
 * Names of the pushes the backend sends, in a module with no imports so the sandboxed preload can bundle it.
 * The web bridge uses the same name as its server-sent event type.
 */
export const HOST_CHANGED_EVENT = 'host-changed';
