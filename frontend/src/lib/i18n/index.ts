// One import for components: the messages (m.key()) and the locale helpers.
export { m } from '../paraglide/messages.js'
export * from './locale.svelte'
