// The first view's reads, started while the app's code is still loading (the page waited for its bundle to be
// fetched, parsed and run before it asked for anything: about a second at 100,000 items on a loaded machine).
// Loaded synchronously in <head>, before the bundle; the app takes each answer once, for exactly the same call
// (src/renderer/src/lib/early.ts), and asks again for anything else. The calls must match the app's own: the
// access check (`status`), the layer counts and Layers' first page (features/layers/queries.ts, PAGE_SIZE).
(() => {
  const CALLS = [
    ['status', []],
    ['counts', []],
    ['list', [{ layer: 'm0', limit: 200, offset: 0 }]],
  ];
  const early = {};
  const strata = window.strata;
  let token = '';
  if (!strata) {
    // Browser mode: the run's key from the address's fragment (api.ts moves it to sessionStorage), else from there.
    const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
    try {
      token = fragment.get('token') || sessionStorage.getItem('strata.token') || '';
    } catch {
      token = fragment.get('token') || '';
    }
    if (!token) return;
  }
  for (const [method, args] of CALLS) {
    const answer = strata
      ? strata[method](...args)
      : fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify(args),
        }).then((r) => r.json());
    // A failed early read is asked for again by the app, not reported from here.
    answer.catch(() => undefined);
    early[`${method} ${JSON.stringify(args)}`] = answer;
  }
  window.__strataEarly = early;
})();
