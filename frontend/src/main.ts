import { mount } from 'svelte'
import './app.css'
import App from './App.svelte'
import { applyTheme, storedTheme } from './lib/stores/theme'
import { applyLanguage, storedLanguage } from './lib/i18n'
import { reportVisibility } from './lib/rest'

applyTheme(storedTheme())
// the last language chosen here, until the settings arrive (no flash of English)
applyLanguage(storedLanguage())

reportVisibility() // the desktop app rests while its window is hidden

const app = mount(App, { target: document.getElementById('app')! })

export default app
