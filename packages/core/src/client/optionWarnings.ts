// Development aids for the first hour: an option name the client does not know (a typo is
// otherwise ignored in silence) and a token in the URL's query. Warnings only, never a throw;
// the caller runs them only in the development build (`__DEV__`), so that the production build
// has none of this file.
import type { Logger } from '../types'

/** Query parameters that usually carry a credential. */
const TOKEN_PARAMS = ['token', 'access_token', 'jwt', 'auth']

/** Each unknown name and URL warning once per page, not once per client (StrictMode, re-renders). */
const warned = new Set<string>()

function warnOnce(logger: Logger, key: string, text: string): void {
  if (warned.has(key)) return
  warned.add(key)
  logger.warn(`[encrypted-socket] ${text}`)
}

/** Levenshtein distance, case-insensitive (`ecdhinfo` is one letter from `ecdhInfo`, not two). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase()
  b = b.toLowerCase()
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}

/** The known name nearest to `name`, if it is near enough to be a typo (or a case slip). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.min(2, Math.floor(name.length / 2)) + 1
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/**
 * Warns about every own key of `options` (and of `options.reconnect`, `options.outbox`) that is
 * not an option. `known` are the option paths (`url`, `reconnect.interval`, …).
 */
export function warnUnknownOptions(options: object, known: readonly string[], logger: Logger): void {
  const check = (value: unknown, prefix: string) => {
    if (typeof value !== 'object' || value === null) return
    const names = known.filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length))
    const valid = new Set(names.map((name) => name.split('.')[0]!))
    for (const key of Object.keys(value)) {
      if (valid.has(key)) continue
      const near = closestName(key, [...valid])
      warnOnce(
        logger,
        `option:${prefix}${key}`,
        `Unknown option "${prefix}${key}" is ignored` + (near ? `: did you mean "${prefix}${near}"?` : '.'),
      )
    }
  }
  check(options, '')
  const groups = options as Record<string, unknown>
  check(groups.reconnect, 'reconnect.')
  check(groups.outbox, 'outbox.')
}

/** Warns when the URL's query carries a token: the URL, and the token in it, lands in logs. */
export function warnTokenInUrl(url: string, logger: Logger): void {
  let params: URLSearchParams
  try {
    params = new URL(url).searchParams
  } catch {
    return // checkTransport says why the URL is invalid
  }
  for (const [name] of params) {
    if (!TOKEN_PARAMS.includes(name.toLowerCase())) continue
    // Never the value: only the parameter's name and where it ends up.
    warnOnce(
      logger,
      `url:${name}`,
      `The url carries a credential in its query ("${name}="): the URL, and the token with it, lands in proxy and server logs. Pass it as the \`token\` option (or \`getToken\`) instead.`,
    )
    return
  }
}
