import type { Meta, StoryObj } from '@storybook/vue3-vite'
import { within } from 'storybook/test'
import { h } from 'vue'
import { plays } from '../shared/playbook'
import { scenarioLifecycle, type Scenario, type ScenarioName } from '../shared/scenarios'
import { ConnectionPanel } from './ConnectionPanel'

const meta = {
  title: 'Vue/Connection states',
  component: ConnectionPanel,
  ...scenarioLifecycle(),
  argTypes: { scenario: { table: { disable: true } } },
  render: (args, { loaded }) => ({
    render: () => h(ConnectionPanel, { members: args.members, scenario: loaded.scenario as Scenario }),
  }),
} satisfies Meta<typeof ConnectionPanel>

export default meta
type Story = StoryObj<typeof meta>

const story = (scenario: ScenarioName, members = 1): Story => ({
  parameters: { scenario },
  args: { members } as Story['args'],
  play: ({ canvasElement, loaded }) => plays[scenario](within(canvasElement), loaded.scenario as Scenario),
})

export const Disconnected = story('disconnected')
export const Connecting = story('connecting')
export const Authenticating = story('authenticating')
export const Authenticated = story('authenticated')
export const Reconnecting = story('reconnecting')
export const RejectedToken = story('rejected')
export const HandshakeTimeout = story('handshakeTimeout')
export const RetriesExhausted = story('retriesExhausted')
export const TamperedFrame = story('tampered')
export const OutboxWhileOffline = story('outbox')
export const TwoComponentsOneRoom = story('sharedRoom', 2)
export const ReorderedRecord = story('reorderedRecord')
export const DeadConnectionDetected = story('deadConnection')
export const KeyMismatch = story('keyMismatch')
