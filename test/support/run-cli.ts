/** Runs `vfio-pilot ARGV...` in this process (electron/cli/main) and collects what it prints and its exit code. */
import { main } from '../../electron/cli/main';

export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
