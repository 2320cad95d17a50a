// Placeholder live page: a REST snapshot from /api/v1, then live frames from /api/v1/ws.
// No build step and no dependencies; the React + Vite app replaces it later.
"use strict";

(() => {
  const API = "/api/v1";
  const MAX_ROWS = 20;
  const state = {
    orders: new Map(), // client_order_id -> order
    fills: [], // newest first
    positions: new Map(), // "exchange symbol" -> position
    synthetic: false,
    backoffMs: 500,
  };

  const byId = (id) => document.getElementById(id);
  const show = (value) => (value === null || value === undefined || value === "" ? "–" : String(value));
  const time = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "–");

  async function getJson(path) {
    const response = await fetch(API + path, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(`${path}: ${response.status} ${body.detail || ""}`);
    }
    return response.json();
  }

  // --- rendering (textContent only: nothing from the server is parsed as HTML) -----------------

  function fillList(dl, values) {
    for (const dd of dl.querySelectorAll("dd[data-field]")) {
      dd.textContent = show(values[dd.dataset.field]);
    }
  }

  function tableRows(tbody, rows, columns, emptyText) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      const tr = tbody.insertRow();
      const td = tr.insertCell();
      td.colSpan = columns;
      td.className = "empty";
      td.textContent = emptyText;
      return;
    }
    for (const cells of rows) {
      const tr = tbody.insertRow();
      for (const cell of cells) {
        const td = tr.insertCell();
        const [value, cls] = Array.isArray(cell) ? cell : [cell, ""];
        td.textContent = show(value);
        if (cls) td.className = cls;
      }
    }
  }

  function markSynthetic(flag) {
    // Once anything synthetic was shown, the page keeps saying so.
    state.synthetic = state.synthetic || Boolean(flag);
    byId("synthetic").hidden = !state.synthetic;
  }

  function renderCandle(candle) {
    byId("candle-market").textContent = `${candle.exchange} ${candle.symbol} ${candle.timeframe}`;
    fillList(byId("candle"), { ...candle, time: time(candle.open_time_ms) });
    markSynthetic(candle.synthetic);
  }

  function renderEquity(equity) {
    byId("equity-account").textContent = `${equity.account} · ${equity.currency}`;
    fillList(byId("equity"), equity);
  }

  function renderPositions() {
    const rows = [...state.positions.values()].map((p) => [
      `${p.exchange} ${p.symbol}`,
      p.quantity,
      p.average_price,
      p.last_price,
      p.market_value,
      p.unrealised_pnl,
      p.realised_pnl,
    ]);
    tableRows(byId("positions"), rows, 7, "no positions");
  }

  function renderOrders() {
    const latest = [...state.orders.values()]
      .sort((a, b) => b.updated_ms - a.updated_ms)
      .slice(0, MAX_ROWS);
    const rows = latest.map((o) => [
      time(o.updated_ms),
      o.client_order_id,
      `${o.exchange} ${o.symbol}`,
      [o.side, o.side],
      o.quantity,
      o.filled_quantity,
      o.average_price,
      o.reason ? `${o.status} (${o.reason})` : o.status,
    ]);
    tableRows(byId("orders"), rows, 8, "no orders yet");
  }

  function renderFills() {
    const rows = state.fills.map((f) => [
      time(f.ts_event),
      f.trade_id,
      `${f.exchange} ${f.symbol}`,
      [f.side, f.side],
      f.quantity,
      f.price,
      `${show(f.fee)} ${f.fee_currency}`,
    ]);
    tableRows(byId("fills"), rows, 7, "no fills yet");
  }

  function addEvent(textValue) {
    const list = byId("events");
    const item = document.createElement("li");
    item.textContent = `${time(Date.now())}  ${textValue}`;
    list.prepend(item);
    while (list.children.length > MAX_ROWS) list.lastElementChild.remove();
  }

  // --- state updates ----------------------------------------------------------------------------

  const positionKey = (p) => `${p.exchange} ${p.symbol}`;

  function upsertOrder(order) {
    state.orders.set(order.client_order_id, order);
    renderOrders();
  }

  function addFill(fill) {
    state.fills = [fill, ...state.fills.filter((f) => f.trade_id !== fill.trade_id)].slice(0, MAX_ROWS);
    renderFills();
  }

  function upsertPosition(position) {
    state.positions.set(positionKey(position), position);
    renderPositions();
  }

  const handlers = {
    hello: () => {
      state.backoffMs = 500;
      loadSnapshot(); // after a reconnect, catch up on what was missed
    },
    candle: renderCandle,
    order: upsertOrder,
    fill: addFill,
    position: upsertPosition,
    equity: renderEquity,
    signal: (s) => addEvent(`signal ${s.action} ${s.symbol} @ ${show(s.reference_price)} (${s.instance_id})`),
    rejection: (r) => addEvent(`rejected ${r.symbol}: ${r.reason}`),
  };

  // --- loading ----------------------------------------------------------------------------------

  async function loadSnapshot() {
    const results = await Promise.allSettled([
      getJson("/candles?limit=1").then((r) => {
        markSynthetic(r.synthetic);
        if (r.candles.length > 0) renderCandle(r.candles[r.candles.length - 1]);
      }),
      getJson("/marketdata/status").then((s) => {
        markSynthetic(s.synthetic);
        byId("replay").textContent =
          `replay of ${show(s.source)}: ${s.published} / ${s.total} candles` + (s.finished ? " (finished)" : "");
      }),
      getJson("/equity").then(renderEquity),
      getJson("/positions").then((r) => {
        state.positions = new Map(r.positions.map((p) => [positionKey(p), p]));
        renderPositions();
      }),
      getJson(`/orders?limit=${MAX_ROWS}`).then((r) => {
        for (const order of r.orders) state.orders.set(order.client_order_id, order);
        renderOrders();
      }),
      getJson(`/fills?limit=${MAX_ROWS}`).then((r) => {
        state.fills = r.fills.slice(0, MAX_ROWS);
        renderFills();
      }),
    ]);
    for (const result of results) {
      if (result.status === "rejected") console.warn(result.reason.message);
    }
  }

  async function loadHealth() {
    const badge = byId("health");
    try {
      const health = await getJson("/health");
      const down = Object.entries(health.services).filter(([, s]) => s !== "serving").map(([n]) => n);
      if (health.nats !== "connected") down.push("nats");
      badge.textContent = down.length ? `degraded: ${down.join(", ")}` : "all services ok";
      badge.className = `badge ${down.length ? "health-degraded" : "health-ok"}`;
    } catch (error) {
      badge.textContent = "gateway unreachable";
      badge.className = "badge health-down";
    }
  }

  function setConnection(word) {
    const badge = byId("connection");
    badge.textContent = word === "open" ? "live" : word;
    badge.className = `badge state-${word}`;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${API}/ws`);
    setConnection("connecting");
    socket.onopen = () => setConnection("open");
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      const handle = handlers[frame.type];
      if (handle) handle(frame.data);
    };
    socket.onclose = () => {
      setConnection("closed");
      setTimeout(connect, state.backoffMs);
      state.backoffMs = Math.min(state.backoffMs * 2, 10000);
    };
  }

  renderPositions();
  renderOrders();
  renderFills();
  connect();
  loadHealth();
  setInterval(loadHealth, 10000);
})();
