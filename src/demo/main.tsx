import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// Stylesheets as files (<link>), never injected <style>: the page runs under style-src 'self'.
import '../react/styles.css';
import './demo.css';
import { App } from './App';

const container = document.getElementById('root');
if (!container) throw new Error('The demo page has no #root element.');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
