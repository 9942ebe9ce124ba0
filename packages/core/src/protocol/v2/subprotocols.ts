// The WebSocket subprotocols that negotiate the version at the upgrade (PROTOCOL-v2.md §1).
export const PROTOCOL_V1 = 'encrypted-socket.v1'
export const PROTOCOL_V2 = 'encrypted-socket.v2'
