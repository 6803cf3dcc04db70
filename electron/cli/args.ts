/** A small, strict argv parser: known flags only, so a typo is an error rather than a silent default. */

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * True for a UsageError from any bundle: each command is bundled separately (see scripts/build.mjs),
 * so a command's UsageError is not the same class as the dispatcher's and `instanceof` would miss it.
 */
export function isUsageError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'UsageError';
}

export interface FlagSpec {
  /** Flags that take a value (`--root DIR` or `--root=DIR`). */
  values?: readonly string[];
  /** Boolean flags (`--json`). */
  booleans?: readonly string[];
}

export interface ParsedArgs {
  values: Record<string, string | undefined>;
  booleans: Record<string, boolean>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const values: Record<string, string | undefined> = {};
  const booleans: Record<string, boolean> = {};
  const positionals: string[] = [];
  const valueFlags = new Set(spec.values ?? []);
  const boolFlags = new Set(spec.booleans ?? []);
  for (const b of boolFlags) booleans[b] = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (valueFlags.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      values[name] = value;
    } else if (boolFlags.has(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      booleans[name] = true;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { values, booleans, positionals };
}
