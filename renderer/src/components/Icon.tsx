/** Small inline icons (no icon font: the app must look the same offline and in screenshots). */
import type { Severity } from '../../../shared/model';

export type IconName =
  | 'error'
  | 'warning'
  | 'info'
  | 'ok'
  | 'chevron-right'
  | 'chevron-down'
  | 'refresh'
  | 'display'
  | 'vm'
  | 'close'
  | 'search'
  | 'chip'
  | 'bridge'
  | 'unknown';

const PATHS: Record<IconName, string> = {
  // octagon with a cross: blocking error
  error: 'M5.5 1.5h5l4 4v5l-4 4h-5l-4-4v-5z M5.8 5.8l4.4 4.4 M10.2 5.8l-4.4 4.4',
  // triangle with a bar: needs attention
  warning: 'M8 1.8l6.6 12H1.4z M8 6v3.6 M8 11.6v.2',
  // circle with an i
  info: 'M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z M8 7v4.5 M8 4.6v.2',
  // circle with a tick
  ok: 'M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z M5 8.2l2 2 4-4.4',
  'chevron-right': 'M6 3.5l4.5 4.5-4.5 4.5',
  'chevron-down': 'M3.5 6l4.5 4.5 4.5-4.5',
  refresh: 'M13.5 8a5.5 5.5 0 1 1-1.6-3.9 M13.5 2v3.2h-3.2',
  display: 'M1.5 2.5h13v8.5h-13z M5.5 14h5 M8 11v3',
  vm: 'M2 3h12v8H2z M5 13.5h6 M6.5 6l-1.5 1.5 1.5 1.5 M9.5 6l1.5 1.5-1.5 1.5',
  close: 'M3.5 3.5l9 9 M12.5 3.5l-9 9',
  search: 'M7 2a5 5 0 1 0 0 10a5 5 0 1 0 0-10z M10.6 10.6l3.9 3.9',
  chip: 'M4 4h8v8H4z M6 1.5V4 M10 1.5V4 M6 12v2.5 M10 12v2.5 M1.5 6H4 M1.5 10H4 M12 6h2.5 M12 10h2.5',
  bridge: 'M1.5 11.5h13 M3 11.5V7 M13 11.5V7 M3 7c1.5-3 8.5-3 10 0',
  // circle with a question mark: could not be read
  unknown: 'M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13z M6.2 6.2a1.9 1.9 0 1 1 2.6 1.8c-.6.3-.8.7-.8 1.3v.4 M8 11.6v.2',
};

export function Icon({ name, className, title }: { name: IconName; className?: string; title?: string }) {
  return (
    <svg
      className={`icon${className ? ` ${className}` : ''}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={title === undefined ? true : undefined}
      role={title === undefined ? undefined : 'img'}
      aria-label={title}
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

export const SEVERITY_WORD: Record<Severity, string> = { error: 'Error', warning: 'Warning', info: 'Info' };

/** A severity as icon + word (never colour alone). */
export function SeverityLabel({ severity, compact = false }: { severity: Severity; compact?: boolean }) {
  return (
    <span className={`severity sev-${severity}`}>
      <Icon name={severity} />
      {compact ? <span className="sr-only">{SEVERITY_WORD[severity]}</span> : <span>{SEVERITY_WORD[severity]}</span>}
    </span>
  );
}
