/**
 * Time as the domain reads it: epoch milliseconds from a function the entry point injects, so tests and
 * the embedded stack can move it and no rule in `functions/core` reads the wall clock on its own.
 */
export type Clock = () => number;

/** The wall clock; what every composition root passes unless a test gives its own. */
export const systemClock: Clock = () => Date.now();

/** The clock a dependency set carries, or the wall clock where an older caller gives none. */
export function clockOf(deps: { readonly now?: Clock | undefined }): Clock {
  return deps.now ?? systemClock;
}

/** Unix seconds of a clock reading, as records store them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
