// The IPC surface as a committed snapshot (Insomnia's habit): adding or changing a channel, a request field or a
// preload method changes test/ipc/__snapshots__/ipc-surface.json, so it shows up as a diff someone reviews.
// After an intended change: `npx vitest run test/ipc -u`, then read the diff before committing.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HOST_CHANGED_IPC } from '../../electron/main/ipc';
import { buildPilotApi } from '../../electron/preload/api';
import { CHANNELS, IPC_PREFIX, METHODS, contract } from '../../shared/ipc/contract';
import { IPC_ERROR_CODES } from '../../shared/ipc/result';

function surface() {
  const preload = buildPilotApi({ invoke: async () => undefined, subscribe: () => () => {} });
  return {
    ipcPrefix: IPC_PREFIX,
    channels: Object.fromEntries(
      CHANNELS.map((channel) => [channel, { ipcName: IPC_PREFIX + channel, request: z.toJSONSchema(contract[channel].request, { io: 'input' }) }]),
    ),
    pushes: [HOST_CHANGED_IPC],
    preloadMethods: Object.keys(preload).sort(),
    methodChannels: METHODS,
    errorCodes: IPC_ERROR_CODES,
  };
}

describe('IPC surface', () => {
  it('matches the reviewed snapshot', async () => {
    await expect(JSON.stringify(surface(), null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/ipc-surface.json');
  });

  it('every channel has a preload method and every method a channel', () => {
    expect(Object.values(METHODS).sort()).toEqual([...CHANNELS].sort());
  });
});
