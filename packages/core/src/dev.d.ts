/**
 * True in the development build (dist/), false in the production build (dist/production/): see
 * tsup.config.ts. Guard what only a developer needs with it, inline, so that minifiers drop it.
 */
declare const __DEV__: boolean
