/**
 * Notices when PCI functions appear, disappear or change driver without us (another tool, a hot-plug).
 * sysfs has no inotify, so this polls a cheap signature: the device addresses under ROOT/sys/bus/pci/devices
 * and where each one's `driver` link points. Polling runs only while someone is subscribed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** One line per function, `ADDRESS=DRIVER` (`-` when unbound), sorted; a read failure is part of the signature too. */
export async function deviceSignature(root: string): Promise<string> {
  const dir = path.join(root, 'sys', 'bus', 'pci', 'devices');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
  const lines = await Promise.all(
    names.sort().map(async (name) => {
      try {
        return `${name}=${path.basename(await fs.readlink(path.join(dir, name, 'driver')))}`;
      } catch {
        return `${name}=-`;
      }
    }),
  );
  return lines.join('\n');
}

export interface DeviceWatch {
  /** Starts polling on the first subscriber, stops after the last one leaves. */
  subscribe(listener: () => void): () => void;
  /** Tells every subscriber now (after our own writes) and takes the new signature as the baseline. */
  notify(): Promise<void>;
  close(): void;
}

/** Polls `deviceSignature(root)` every `intervalMs` while subscribed and calls the listeners when it changes. */
export function watchDevices(root: string, intervalMs = 3000): DeviceWatch {
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | null = null;
  let baseline: Promise<string> | null = null;
  let polling = false;

  const emit = () => {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch {
        // A broken listener must not stop the others or the poll.
      }
    }
  };

  const poll = async () => {
    if (polling || baseline === null) return; // a slow disk must not stack reads
    polling = true;
    try {
      const [before, now] = await Promise.all([baseline, deviceSignature(root)]);
      if (timer !== null && now !== before) {
        baseline = Promise.resolve(now);
        emit();
      }
    } finally {
      polling = false;
    }
  };

  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    baseline = null;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (timer === null) {
        baseline = deviceSignature(root);
        timer = setInterval(() => void poll(), intervalMs);
        timer.unref(); // watching alone must not keep a CLI process alive
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    async notify() {
      if (timer !== null) baseline = Promise.resolve(await deviceSignature(root));
      emit();
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
