export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Structured logging: a message and flat fields. The server never passes a token or key. */
export interface ServerLogger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** JSON lines on stdout (stderr for warn and error), from `level` up. */
export function createJsonLogger(level: LogLevel = 'info', write = defaultWrite): ServerLogger {
  const log =
    (at: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[at] < ORDER[level]) return
      write(at, JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...fields }))
    }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

function defaultWrite(level: LogLevel, line: string): void {
  if (level === 'warn' || level === 'error') process.stderr.write(`${line}\n`)
  else process.stdout.write(`${line}\n`)
}

/** A logger that drops everything. */
export const silentLogger: ServerLogger = { debug() {}, info() {}, warn() {}, error() {} }
