// Ctrl-C (SIGINT) and SIGTERM ask a long command to stop cleanly: collect keeps the episodes it
// completed, train saves a checkpoint. Both exit as a shell reports a signal: 128 + its number.

export type StopSignal = 'SIGINT' | 'SIGTERM';

export function signalExitCode(signal: StopSignal): number {
  return 128 + (signal === 'SIGTERM' ? 15 : 2);
}

/** How a message names the signal: Ctrl-C is what the user pressed. */
export function signalName(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'interrupt' : 'SIGTERM';
}

/** Call `handler` on SIGINT or SIGTERM (instead of Node's immediate exit); returns the remover. */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
