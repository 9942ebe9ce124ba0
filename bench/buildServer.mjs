// One build's server for builds.mjs: `node buildServer.mjs <its dist/index.js>`, in a forked
// process; sends its URL, closes on any message. The limits are lifted as in lib.mjs (copied: an
// older build's lib may differ).
import { pathToFileURL } from 'node:url'

export const BUILD_ECDH_INFO = 'bench/v1'
export const BUILD_SECRET = 'bench-secret-bench-secret-bench-secret'

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { createEncryptedSocketServer } = await import(pathToFileURL(process.argv[2]).href)
  const server = await createEncryptedSocketServer({
    port: 0,
    ecdhInfo: BUILD_ECDH_INFO,
    jwtSecret: BUILD_SECRET,
    demo: true,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    maxPayload: 4 * 1024 * 1024,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    byteRateLimit: { perSecond: 1e15, burst: 1e15 },
    handshakeRate: { perSecond: 1e9, burst: 1e9 },
    maxConnections: 1e9,
    maxConnectionsPerAddress: 1e9,
    maxConnectionsPerUser: 1e9,
    incomingQueue: { frames: 1e9, bytes: 1e15 },
    sendHighWaterMark: 1e15,
    resumeMaxMessages: 1e6,
    maxTrackedIvs: 1e9, // the seed's v1 closes (4003) after 65,536 remembered IVs
  })
  process.send({ url: server.url })
  process.on('message', () => server.close({ timeout: 200 }).then(() => process.exit(0)))
}
