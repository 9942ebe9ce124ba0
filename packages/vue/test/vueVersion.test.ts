// Which Vue ran: the `vue` project's (package.json's devDependency) or, in the `vue33` project,
// test/vue33's. The test file, Testing Library's Vue and the adapter itself (src, and dist
// through its exports map) must all be on that one copy.
import { createRequire } from 'node:module'
import * as dist from '@encrypted-socket/vue'
import { render, screen, waitFor } from '@testing-library/vue'
import { computed, defineComponent, getCurrentInstance, h, version } from 'vue'
import { describe, expect, it } from 'vitest'
import * as src from '../src/index'
import { clientOptions, mockServer } from './helpers'

const require = createRequire(import.meta.url)
const { devDependencies } = require('../package.json') as { devDependencies: Record<string, string> }
const expected = process.env.EXPECTED_VUE_VERSION ?? devDependencies.vue!

/** The version of every copy of vue and its @vue/* parts that Node has loaded in this worker. */
function loadedVersions(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>()
  for (const file of Object.keys(require.cache)) {
    const match =
      /^(.*[\\/]node_modules[\\/](vue|@vue[\\/](?:shared|reactivity|runtime-\w+|compiler-\w+|server-renderer)))[\\/]/.exec(
        file,
      )
    if (!match) continue
    const { version } = require(`${match[1]}/package.json`) as { version: string }
    found.set(match[2]!, (found.get(match[2]!) ?? new Set()).add(version))
  }
  return found
}

describe(`Vue ${expected}`, () => {
  it('is the vue this file imports', () => {
    expect(version).toBe(expected)
  })

  for (const [name, adapter] of [
    ['src', src],
    ['dist', dist],
  ] as const) {
    it(`runs the adapter's ${name} in Testing Library's app, on that Vue`, async () => {
      const server = mockServer()
      const plugin = adapter.createEncryptedSocket({ ...clientOptions(server.url), url: server.url })
      let appVersion: string | undefined
      let sameClient = false
      let sameComputed = false
      const State = defineComponent({
        setup() {
          appVersion = getCurrentInstance()!.appContext.app.version
          // The plugin's client is found only if the adapter's inject() is the app's Vue.
          const socket = adapter.useEncryptedSocket()
          sameClient = socket.client.value === plugin.client
          // A computed ref made by the adapter is of this file's Vue's class.
          sameComputed = Object.getPrototypeOf(socket.state) === Object.getPrototypeOf(computed(() => 0))
          return () => h('output', socket.state.value)
        },
      })
      render(State, { global: { plugins: [plugin] } })
      expect(appVersion).toBe(expected)
      expect(sameClient).toBe(true)
      expect(sameComputed).toBe(true)
      await waitFor(() => expect(screen.getByRole('status').textContent).toBe('authenticated'))
    })
  }

  it('is the only Vue that Node loaded', () => {
    const loaded = loadedVersions()
    expect(loaded.get('vue')).toEqual(new Set([expected]))
    for (const [name, versions] of loaded) expect([name, versions]).toEqual([name, new Set([expected])])
  })
})
