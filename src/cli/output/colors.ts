/**
 * Colours for one output stream: on for a terminal, off when piped or when NO_COLOR is set
 * (https://no-color.org), forced on by FORCE_COLOR. Decided per stream, because stdout may be a
 * file while stderr is still a terminal.
 */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Whether to colour what is written to `stream`, given the environment. */
export function wantsColor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Colour functions for `stream` (identity functions when colour is off). */
export function colorsFor(stream: { isTTY?: boolean }): Colors {
  return pc.createColors(wantsColor(stream));
}
