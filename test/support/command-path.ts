/** Where a program the tests run is installed, found as the shell finds it. */
import { execFileSync } from 'node:child_process';

/** The path `command -v` gives for `name` on PATH, or undefined when there is none. */
export function commandPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
