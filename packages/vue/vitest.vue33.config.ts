// The `vue` project again, on Vue 3.3: every test of the adapter (src, and dist through
// `@encrypted-socket/vue`) with `vue` and Testing Library resolved from test/vue33, a package of
// its own whose @vue/test-utils has Vue 3.3 as its peer. test/vueVersion.test.ts checks that
// Vue 3.3 is what ran.
import { createRequire } from 'node:module'
import { defineProject, mergeConfig, type Plugin } from 'vitest/config'
import base from './vitest.config.js'

const env = createRequire(import.meta.url).resolve('vue33-test-env/package.json')
const { dependencies } = createRequire(env)('./package.json') as { dependencies: Record<string, string> }
const FROM_ENV = /^(?:vue|@vue\/[\w-]+|@testing-library\/vue)(?:\/.*)?$/

/** Resolves Vue and Testing Library as test/vue33 does, from wherever they are imported. */
const vue33: Plugin = {
  name: 'vue33-test-env',
  enforce: 'pre',
  resolveId(source, importer) {
    if (!FROM_ENV.test(source) || importer === env) return null
    return this.resolve(source, env, { skipSelf: true })
  },
}

export default mergeConfig(
  base,
  defineProject({
    plugins: [vue33],
    test: { name: 'vue33', env: { EXPECTED_VUE_VERSION: dependencies.vue! } },
  }),
)
