import { useEffect, useState } from 'react';
import type { DashboardState } from '../state.js';

export function App() {
  const [state, setState] = useState<DashboardState | undefined>();
  useEffect(() => {
    const events = new EventSource('/api/events');
    events.addEventListener('state', (event) => setState(JSON.parse((event as MessageEvent<string>).data) as DashboardState));
    return () => events.close();
  }, []);
  if (!state) return <p className="boot">Connecting…</p>;
  return (
    <main>
      <h1>Class {state.classId}</h1>
      <p>Round {state.round}: {state.result?.learners.length ?? 0} learners</p>
    </main>
  );
}
