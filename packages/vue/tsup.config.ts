import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

export default defineConfig(packageBuild({ external: ['vue', '@encrypted-socket/core'] }))
