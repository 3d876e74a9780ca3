// The instructor's live class page (bundled by src/assets.ts; served by src/server.ts).
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import './styles.css';

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
