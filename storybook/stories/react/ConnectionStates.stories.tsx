import type { Meta, StoryObj } from '@storybook/react-vite'
import { within as withinCanvas } from 'storybook/test'
import { scenarioLifecycle, type Scenario, type ScenarioName } from '../shared/scenarios'
import { plays } from '../shared/playbook'
import { ConnectionPanel } from './ConnectionPanel'

const meta = {
  title: 'React/Connection states',
  component: ConnectionPanel,
  ...scenarioLifecycle(),
  render: (args, { loaded }) => <ConnectionPanel {...args} scenario={loaded.scenario as Scenario} />,
  args: { scenario: undefined as unknown as Scenario },
  argTypes: { scenario: { table: { disable: true } } },
} satisfies Meta<typeof ConnectionPanel>

export default meta
type Story = StoryObj<typeof meta>

const story = (scenario: ScenarioName, members = 1): Story => ({
  parameters: { scenario },
  args: { members },
  play: ({ canvasElement, loaded }) => plays[scenario](withinCanvas(canvasElement), loaded.scenario as Scenario),
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
