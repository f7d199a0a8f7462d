/* global acquireVsCodeApi, document, window, atob */
// The Request Inspector's webview (extension/inspectorPanel.ts): the list, its filters and the
// detail pane. Data comes from the extension by postMessage; nothing here talks to the daemon.
(function () {
  const vscode = acquireVsCodeApi();
  /** Newest first, as GET /v1/requests gives them. */
  let requests = [];
  let selected;
  const $ = (id) => document.getElementById(id);
  const tbody = document.querySelector('#list tbody');
  const filters = { host: $('f-host'), status: $('f-status'), method: $('f-method'), text: $('f-text') };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== undefined && c !== null) e.append(c);
    return e;
  }

  const size = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);
  const ms = (n) => (n < 1 ? `${n.toFixed(2)} ms` : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
  const statusText = (r) => (r.status ? String(r.status) : r.error ? r.error.kind : '…');

  function matches(r) {
    const host = filters.host.value.trim().toLowerCase();
    const status = filters.status.value;
    const method = filters.method.value.trim().toUpperCase();
    const text = filters.text.value.trim().toLowerCase();
    if (host && !r.host.includes(host)) return false;
    if (method && r.method !== method) return false;
    if (status === 'err' && !r.error) return false;
    if (/^\dxx$/.test(status) && Math.floor(r.status / 100) !== Number(status[0])) return false;
    if (text && !`${r.method} ${r.host}${r.url} ${r.status}`.toLowerCase().includes(text)) return false;
    return true;
  }

  function row(r) {
    const cls = r.error ? 'err' : r.status >= 500 ? 's5' : r.status >= 400 ? 's4' : '';
    const tr = el(
      'tr',
      { class: `row${r.id === selected ? ' selected' : ''}`, 'data-id': r.id, title: r.replayOf ? `replay of ${r.replayOf}` : r.id },
      el('td', {}, r.method),
      el('td', { class: cls }, statusText(r)),
      el('td', {}, `${r.host}${r.url}`),
      el('td', {}, ms(r.durationMs)),
      el('td', {}, size(r.bytesOut)),
    );
    tr.addEventListener('click', () => select(r.id));
    return tr;
  }

  function render() {
    const shown = requests.filter(matches);
    tbody.replaceChildren(...shown.map(row));
    $('count').textContent = `${shown.length} of ${requests.length}`;
  }

  function select(id) {
    selected = id;
    for (const tr of tbody.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.id === id);
    vscode.postMessage({ type: 'detail', id, secrets: $('f-secrets').checked });
  }

  function headerTable(h) {
    const rows = Object.entries(h || {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x]));
    if (!rows.length) return el('p', { class: 'empty' }, 'none');
    return el('table', {}, ...rows.map(([k, v]) => el('tr', {}, el('td', { class: 'name' }, k), el('td', {}, v))));
  }

  /** `shown`: how extension/inspectorPanel.ts says to show it (proxy-core/src/capture/bodyText.ts). */
  function bodyView(body, shown) {
    if (!body || !shown) return el('p', { class: 'empty' }, 'no body');
    const note = body.truncated ? el('p', { class: 'empty' }, `first ${size(atob(body.base64).length)} of ${size(body.size)}`) : undefined;
    const coding = shown.encoding
      ? el('p', { class: 'empty' }, shown.undecoded ? `${shown.encoding}, could not be decoded` : `sent as ${shown.encoding}, shown decoded`)
      : undefined;
    if (shown.kind === 'image')
      return el('div', {}, coding, el('img', { class: 'preview', src: `data:${shown.mediaType};base64,${shown.base64}`, alt: 'response image' }));
    return el('div', {}, note, coding, el('pre', { class: 'body' }, shown.kind === 'binary' ? `(${size(body.size)} binary)` : shown.text));
  }

  function timingBar(t) {
    const parts = [
      ['tls', t.tlsMs || 0, 'TLS handshake'],
      ['wait', t.connectWaitMs || 0, 'waiting for an upstream connection'],
      ['ttfb', t.ttfbMs || 0, 'upstream time to first byte'],
    ];
    const used = parts.reduce((a, p) => a + p[1], 0);
    parts.push(['recv', Math.max(0, t.totalMs - used), 'response body']);
    const total = Math.max(t.totalMs, used) || 1;
    return el(
      'div',
      {},
      el('div', { class: 'bar' }, ...parts.map(([c, v, what]) => el('span', { class: c, style: `width:${(v / total) * 100}%`, title: `${what}: ${ms(v)}` }))),
      el('p', {}, parts.filter((p) => p[1]).map(([, v, what]) => `${what} ${ms(v)}`).join(' · ') + ` · total ${ms(t.totalMs)}`),
    );
  }

  function showDetail(r, bodies) {
    if (r.id !== selected) return;
    const actions = r.websocket
      ? undefined
      : el(
      'div',
      { class: 'actions' },
      el('button', { id: 'b-replay', onclick: () => vscode.postMessage({ type: 'replay', id: r.id }) }, 'Replay'),
      el('button', { id: 'b-edit', onclick: () => vscode.postMessage({ type: 'editReplay', id: r.id }) }, 'Edit and Replay'),
      el('button', { id: 'b-curl', onclick: () => vscode.postMessage({ type: 'curl', id: r.id }) }, 'Copy as cURL'),
    );
    const ws = r.websocket
      ? el(
          'div',
          {},
          el('h3', {}, `WebSocket: ${r.websocket.messagesIn} in, ${r.websocket.messagesOut} out`),
          el('pre', {}, r.websocket.frames.map((f) => `${f.dir === 'in' ? '→' : '←'} ${f.atMs} ms ${f.data}${f.truncated ? ' …' : ''}`).join('\n')),
        )
      : undefined;
    const parts = [
      el('h3', {}, `${r.method} https://${r.host}${r.url}`),
      el('p', {}, `${statusText(r)} · HTTP/${r.httpVersion} · ${r.router ? `router ${r.router} → ` : ''}${r.upstream || r.target || 'no route'} · from ${r.client.address}${r.replayOf ? ` · replay of ${r.replayOf}` : ''}`),
      r.error ? el('p', { class: 'err' }, `Failed (${r.error.by}: ${r.error.kind}): ${r.error.message}`) : undefined,
      actions,
      timingBar(r.timings),
      el('h3', {}, 'Request headers'),
      headerTable(r.requestHeaders),
      el('h3', {}, `Request body (${size(r.bytesIn)})`),
      bodyView(r.requestBody, bodies.request),
      el('h3', {}, 'Response headers'),
      headerTable(r.responseHeaders),
      el('h3', {}, `Response body (${size(r.bytesOut)})`),
      bodyView(r.responseBody, bodies.response),
      ws,
    ];
    $('detail').replaceChildren(...parts.filter(Boolean));
  }

  for (const f of Object.values(filters)) f.addEventListener('input', render);
  $('f-secrets').addEventListener('change', () => selected && select(selected));
  $('b-har').addEventListener('click', () => vscode.postMessage({ type: 'har', ids: requests.filter(matches).map((r) => r.id) }));
  // Keyboard: up and down move the selection through the shown rows.
  $('list').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const ids = [...tbody.querySelectorAll('tr')].map((tr) => tr.dataset.id);
    const at = ids.indexOf(selected);
    const next = ids[Math.min(ids.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) select(next);
    e.preventDefault();
  });

  window.addEventListener('message', (e) => {
    const m = e.data;
    if (m.type === 'list') {
      requests = m.requests;
      filters.host.value = m.host || '';
      render();
    } else if (m.type === 'host') {
      filters.host.value = m.host;
      render();
    } else if (m.type === 'add') {
      const at = requests.findIndex((r) => r.id === m.request.id);
      if (at >= 0) requests[at] = m.request;
      else requests.unshift(m.request);
      if (requests.length > 5000) requests.length = 5000;
      render();
    } else if (m.type === 'detail') showDetail(m.record, m.bodies);
    else if (m.type === 'replayed') select(m.result.id);
  });
  vscode.postMessage({ type: 'ready' });
})();
