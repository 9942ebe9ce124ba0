// The `react` project again, on React 18: every test of the adapter (src, and dist through
// `@encrypted-socket/react`) with `react`, `react-dom` and Testing Library resolved from
// test/react18, a package of its own whose react-dom and Testing Library have React 18 as
// their peer. test/reactVersion.test.tsx checks that React 18 is what ran.
import { createRequire } from 'node:module'
import { defineProject, mergeConfig, type Plugin } from 'vitest/config'
import base from './vitest.config.js'

const env = createRequire(import.meta.url).resolve('react18-test-env/package.json')
const { dependencies } = createRequire(env)('./package.json') as { dependencies: Record<string, string> }
const FROM_ENV = /^(?:react|react-dom|@testing-library\/react|@testing-library\/dom)(?:\/.*)?$/

/** Resolves React and Testing Library as test/react18 does, from wherever they are imported. */
const react18: Plugin = {
  name: 'react18-test-env',
  enforce: 'pre',
  resolveId(source, importer) {
    if (!FROM_ENV.test(source) || importer === env) return null
    return this.resolve(source, env, { skipSelf: true })
  },
}

export default mergeConfig(
  base,
  defineProject({
    plugins: [react18],
    test: { name: 'react18', env: { EXPECTED_REACT_VERSION: dependencies.react! } },
  }),
)
