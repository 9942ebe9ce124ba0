import { composeStories, setProjectAnnotations } from '@storybook/react-vite'
import { test } from 'vitest'
import preview from '../../.storybook-react/preview'
import * as stories from './ConnectionStates.stories'

setProjectAnnotations([preview])

// Each story renders in Chromium on its own mock server, and its `play` asserts what it shows.
for (const [name, Story] of Object.entries(composeStories(stories))) {
  test(name, () => Story.run(), 15_000)
}
