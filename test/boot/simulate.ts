/**
 * What applying a plan does to the files the planner reads, for idempotence tests: the plan's files are
 * written, and the three tools that keep kernel arguments in their own state (grubby, kernelstub,
 * rpm-ostree kargs) change that state the way the real tools do (BLS `options` lines, kernelstub's JSON).
 */
import type { BootPlan, BootTree } from '../../shared/boot';

const editOptions = (text: string, add: string[], remove: string[]) =>
  text.replace(/^options(.*)$/m, (_, rest: string) => {
    const kept = rest.split(/\s+/).filter((a) => a && !remove.includes(a));
    return `options ${[...kept, ...add.filter((a) => !kept.includes(a))].join(' ')}`;
  });

export function applyToTree(tree: BootTree, plan: BootPlan): BootTree {
  const t: BootTree = { files: { ...tree.files }, dirs: { ...tree.dirs }, errors: { ...tree.errors } };
  for (const f of plan.files) {
    const rel = f.path.slice(1);
    t.files[rel] = f.content;
    const dir = rel.slice(0, rel.lastIndexOf('/'));
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (t.dirs[dir] && !t.dirs[dir].includes(name)) t.dirs[dir] = [...t.dirs[dir], name].sort();
  }
  const entries = Object.keys(t.files).filter((p) => /loader\/entries\/[^/]+\.conf$/.test(p));
  for (const c of plan.commands) {
    const [tool, ...args] = c.argv;
    const list = (prefix: string) => args.filter((a) => a.startsWith(prefix)).flatMap((a) => a.slice(prefix.length).split(' '));
    if (tool === 'grubby') for (const e of entries) t.files[e] = editOptions(t.files[e]!, list('--args='), list('--remove-args='));
    if (tool === 'rpm-ostree' && args[0] === 'kargs') for (const e of entries) t.files[e] = editOptions(t.files[e]!, list('--append-if-missing='), list('--delete-if-present='));
    if (tool === 'kernelstub') {
      const config = JSON.parse(t.files['etc/kernelstub/configuration']!) as { user: { kernel_options: string[] } };
      const words = args[1]!.split(' ');
      const opts = config.user.kernel_options;
      config.user.kernel_options = args[0] === '--add-options' ? [...opts, ...words.filter((w) => !opts.includes(w))] : opts.filter((o) => !words.includes(o));
      t.files['etc/kernelstub/configuration'] = JSON.stringify(config, null, 2) + '\n';
    }
  }
  return t;
}
