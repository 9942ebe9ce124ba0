import { cleanup, configure } from '@testing-library/react'
import { afterEach } from 'vitest'

// jsdom replaces ArrayBuffer and Uint8Array with its own, which Node's Web Crypto refuses: put
// Node's back.
globalThis.Uint8Array = Object.getPrototypeOf(Buffer.prototype).constructor
globalThis.ArrayBuffer = Buffer.alloc(0).buffer.constructor as ArrayBufferConstructor

// Without vitest globals, Testing Library neither cleans up nor marks the act() environment.
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
afterEach(() => cleanup())

// Real handshakes and 1,000-frame bursts: waitFor's 1 s default is short when CI runs every project at once.
configure({ asyncUtilTimeout: 5000 })
