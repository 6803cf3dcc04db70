/** A unified diff as lines coloured by kind, with + and - kept in the text (never colour alone). */
export function UnifiedDiff({ diff, label }: { diff: string; label: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre className="diff" aria-label={label} role="region">
      {lines.map((l, i) => {
        const kind = l.startsWith('+++') || l.startsWith('---') ? 'head' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx';
        return (
          <span key={i} className={`diff-line diff-${kind}`}>
            {l}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}
