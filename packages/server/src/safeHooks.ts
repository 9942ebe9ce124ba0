import type { ServerLogger } from './logger'

/**
 * The user's logger, made unable to throw: a logger that fails (a full disk, a bug in a
 * formatter) loses that line, never the process or the frame being handled.
 */
export function safeLogger(logger: ServerLogger): ServerLogger {
  const guard =
    (level: keyof ServerLogger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      try {
        logger[level](message, fields)
      } catch {
        // Nowhere left to report it: the logger is what failed.
      }
    }
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') }
}

/**
 * A synchronous user hook that cannot throw into the server: a failure is logged and the server
 * goes on. Only the error's class is logged: its message could quote a frame, and so a token.
 */
export function safeHook<Args extends unknown[]>(
  name: string,
  hook: ((...args: Args) => unknown) | undefined,
  logger: ServerLogger,
): ((...args: Args) => void) | undefined {
  if (!hook) return undefined
  return (...args) => {
    try {
      const result = hook(...args)
      if (result instanceof Promise) result.catch((error: unknown) => logHookFailure(logger, name, error))
    } catch (error) {
      logHookFailure(logger, name, error)
    }
  }
}

/** Logs that a user hook threw: its name and the error's class only (a message could quote a token). */
export function logHookFailure(logger: ServerLogger, hook: string, error: unknown): void {
  logger.error('hook failed', { hook, error: error instanceof Error ? error.name : typeof error })
}
