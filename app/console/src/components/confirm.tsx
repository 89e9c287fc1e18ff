/** A confirmation for actions that lose work (delete, reload): a modal <dialog>, focus inside, Escape cancels. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function Confirm(p: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); p.onCancel(); }}>
      <h2 id="confirm-title">{p.title}</h2>
      <div class="confirm-body">{p.children}</div>
      <div class="row end">
        <button type="button" onClick={p.onCancel}>Cancel</button>
        <button type="button" class={p.danger ? 'danger' : 'primary'} onClick={p.onConfirm}>{p.confirmLabel}</button>
      </div>
    </dialog>
  );
}

/** A link to this server's copy of a doc (served at /docs/NAME.md). */
export function DocLink({ doc, anchor, children }: { doc: string; anchor?: string; children: ComponentChildren }) {
  return <a class="doc" href={`/docs/${doc}.md${anchor ? `#${anchor}` : ''}`} target="_blank" rel="noopener">{children}</a>;
}
