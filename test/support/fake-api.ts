/**
 * A PilotApi for store tests: every method rejects with "unused" unless the test overrides it, so a test
 * names only the channels it exercises and a new channel does not touch every test's fake.
 */
import { METHODS } from '../../shared/ipc/channels';
import type { PilotApi } from '../../shared/ipc';

export function fakePilotApi(transport: PilotApi['transport'], overrides: Partial<PilotApi> = {}): PilotApi {
  const unused = () => Promise.reject(new Error('unused'));
  const methods = Object.fromEntries(Object.keys(METHODS).map((name) => [name, unused]));
  return { ...methods, transport, onHostChanged: () => () => {}, ...overrides } as PilotApi;
}
