// uPlot is loaded with the first chart, in its own chunk (one place, so
// tests can stand in for the canvas library jsdom cannot run).
export const loadUPlot = () => import('uplot').then((m) => m.default)
