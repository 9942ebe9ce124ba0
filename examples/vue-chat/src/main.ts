import { createEncryptedSocket } from '@encrypted-socket/vue'
import { createApp } from 'vue'
import { createWire, ECDH_INFO, fetchToken, readConfig } from '../../shared/demoConnection'
import { App } from './App'

const config = readConfig('vue-user')
const wire = createWire()
const token = await fetchToken(config)

createApp(App, { config, wire })
  .use(
    createEncryptedSocket({
      url: config.serverUrl,
      ecdhInfo: ECDH_INFO,
      token,
      WebSocket: wire.WebSocket,
      reconnect: { interval: 1000, maxInterval: 5000, maxRetries: Infinity },
    }),
  )
  .mount('#app')
