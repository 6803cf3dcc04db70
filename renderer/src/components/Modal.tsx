/**
 * A real modal dialog: the native <dialog> opened with showModal() (role dialog, the page behind it inert),
 * Tab kept inside, Escape closes (through `onClose`, so the caller's state decides), and focus goes back to
 * what had it before the dialog opened. The control marked `data-autofocus` gets focus first.
 */
import { useEffect, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'button:not(:disabled), [href], input:not(:disabled), select:not(:disabled), textarea:not(:disabled), summary, [tabindex]:not([tabindex="-1"])';

export function Modal({
  labelledBy,
  describedBy,
  onClose,
  className,
  focusKey,
  children,
}: {
  labelledBy: string;
  describedBy?: string;
  onClose(): void;
  className?: string;
  /** When this changes (the dialog's content was replaced), focus that fell out goes back to `data-autofocus`. */
  focusKey?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    // showModal focuses the first control (often Close); the caller marks the safe default instead (Cancel).
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    // Escape fires `cancel`: the caller closes (or keeps the dialog, e.g. nothing to close while it reads).
    const onCancel = (e: Event) => {
      e.preventDefault();
      onCloseRef.current();
    };
    // showModal makes the page inert, but Tab can still leave for the browser's own UI: wrap it inside.
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key !== 'Tab') return;
      const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) return;
      if (e.shiftKey && (document.activeElement === first || document.activeElement === dialog)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    };
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('keydown', onKeyDown);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('keydown', onKeyDown);
      if (dialog.open) dialog.close();
      // Back to the opener if it is still on the page (the panel's button); else the browser's default.
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const active = document.activeElement;
    if (active === null || active === document.body || active === dialog || !dialog.contains(active)) {
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
  }, [focusKey]);

  return (
    <dialog ref={ref} className={`modal${className ? ` ${className}` : ''}`} aria-labelledby={labelledBy} aria-describedby={describedBy}>
      {children}
    </dialog>
  );
}
