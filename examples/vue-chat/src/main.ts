import { createEncryptedSocket } from '@encrypted-socket/vue'
import { createApp } from 'vue'
import '../../shared/demo.css'
import { createProxyFeed, createWire, ECDH_INFO, fetchToken, readConfig } from '../../shared/demoConnection'
import { App } from './App'

const config = readConfig('vue-user')
const wire = createWire()
const proxy = createProxyFeed(config.framesUrl)
const token = await fetchToken(config)

createApp(App, { config, wire, proxy })
  .use(
    createEncryptedSocket({
      url: config.serverUrl,
      ecdhInfo: ECDH_INFO,
      token,
      protocol: config.protocol,
      WebSocket: wire.WebSocket,
      reconnect: { interval: 1000, maxInterval: 5000, maxRetries: Infinity },
    }),
  )
  .mount('#app')
