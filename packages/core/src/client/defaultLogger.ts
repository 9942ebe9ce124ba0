// The logger of a client given none: warnings and errors go to the console, the `debug` and
// `info` lines (state changes, re-keys) only when asked for: the `debug` option, `setDebug()`,
// or, in a browser, `localStorage['encrypted-socket:debug'] = '1'`.
import type { Logger } from '../types'

/** The default logger. `verbose` turns its `debug` and `info` output on. */
export class ConsoleLogger implements Logger {
  declare verbose: boolean
  constructor(verbose: boolean) {
    this.verbose = verbose
  }
  info(...args: Parameters<Logger['info']>): void {
    if (this.verbose) console.info(...args)
  }
  debug(...args: Parameters<Logger['debug']>): void {
    if (this.verbose) console.debug(...args)
  }
  warn(...args: Parameters<Logger['warn']>): void {
    console.warn(...args)
  }
  error(...args: Parameters<Logger['error']>): void {
    console.error(...args)
  }
}

/** True when the browser's localStorage says `encrypted-socket:debug` is `'1'`; false without one, or when it throws. */
export function debugFromStorage(): boolean {
  try {
    return globalThis.localStorage?.getItem('encrypted-socket:debug') === '1'
  } catch {
    return false
  }
}
