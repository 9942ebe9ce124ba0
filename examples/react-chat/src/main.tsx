import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import '../../shared/demo.css'
import { createProxyFeed, createWire, fetchToken, readConfig } from '../../shared/demoConnection'
import { App } from './App'

const config = readConfig('react-user')
const wire = createWire()
const proxy = createProxyFeed(config.framesUrl)
const token = await fetchToken(config)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App config={config} token={token} wire={wire} proxy={proxy} />
  </StrictMode>,
)
