import type { StorybookConfig } from '@storybook/react-vite'

const config: StorybookConfig = {
  framework: '@storybook/react-vite',
  stories: ['../stories/react/*.stories.tsx'],
  core: { disableTelemetry: true },
  // The Vue stories, composed into the same sidebar when their Storybook runs (npm run storybook).
  refs: { vue: { title: 'Vue', url: 'http://127.0.0.1:6007' } },
}
export default config
