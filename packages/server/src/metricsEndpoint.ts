import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the endpoint serves: a server's metrics, and whether it accepts connections. */
export interface MetricsTarget {
  metrics(): Promise<string>
  readonly metricsContentType: string
  readonly accepting: boolean
}

export interface MetricsEndpointOptions {
  /** 0: any free port. */
  port: number
  /** Interface to listen on: keep it private (metrics tell how busy the server is). @default '127.0.0.1' */
  host?: string
}

export interface MetricsEndpoint {
  /** e.g. `http://127.0.0.1:9464` (GET /metrics, GET /healthz). */
  readonly url: string
  close(): Promise<void>
}

/**
 * A small HTTP server beside the WebSocket port: `GET /metrics` (Prometheus text format) and
 * `GET /healthz` (200 while the server accepts connections, 503 once it is closing: a load
 * balancer then stops sending new clients).
 */
export function startMetricsEndpoint(
  target: MetricsTarget,
  { port, host = '127.0.0.1' }: MetricsEndpointOptions,
): Promise<MetricsEndpoint> {
  const http = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'GET only.\n')
    if (path === '/healthz') {
      return target.accepting ? answer(response, 200, 'ok\n') : answer(response, 503, 'closing\n')
    }
    if (path !== '/metrics') return answer(response, 404, 'GET /metrics or /healthz.\n')
    target.metrics().then(
      (text) => answer(response, 200, text, target.metricsContentType),
      () => answer(response, 500, 'metrics failed\n'),
    )
  })
  return new Promise((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, () => {
      http.off('error', reject)
      const address = http.address() as AddressInfo
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve({
        url: `http://${shown}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            http.close(() => done())
            http.closeAllConnections()
          }),
      })
    })
  })
}

function answer(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
}
