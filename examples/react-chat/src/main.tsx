import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createWire, fetchToken, readConfig } from '../../shared/demoConnection'
import { App } from './App'

const config = readConfig('react-user')
const wire = createWire()
const token = await fetchToken(config)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App config={config} token={token} wire={wire} />
  </StrictMode>,
)
