// Client mistakes get one log line each, but a hostile client can make thousands a second: past
// `perSecond` lines in a one-second window the rest are counted, and the count is logged with the
// next line after the window, so the log stays readable and bounded.

export function rateLimitedLog(log: (line: string) => void, perSecond = 10, now: () => number = () => performance.now()): (line: string) => void {
  let windowStart = -Infinity;
  let count = 0;
  let suppressed = 0;
  return (line) => {
    const t = now();
    if (t - windowStart >= 1000) {
      if (suppressed > 0) log(`viewer: ${suppressed} more client-error line(s) suppressed`);
      windowStart = t;
      count = 0;
      suppressed = 0;
    }
    if (++count <= perSecond) log(line);
    else suppressed++;
  };
}
