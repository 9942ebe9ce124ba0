import type { Preview } from '@storybook/vue3-vite'

const preview: Preview = { parameters: { layout: 'padded' } }
export default preview
