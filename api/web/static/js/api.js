// The one way the pages talk to the API: same origin, Bearer tokens, errors shown as the API words them.
// Tokens live in this tab's sessionStorage (see README, "The web app"): they survive moving between
// pages, never leave the tab, and the page's Content-Security-Policy allows only this origin's scripts.

const KEY = "gridscore.session";
const SAID_NO = new Set(["wrong_credentials", "token_invalid"]);

export class ApiError extends Error {
  constructor(status, body) {
    super(errorText(status, body));
    this.status = status;
    this.code = body && body.code;
    this.body = body;
  }
}

// The API's own words: `detail`, then each particular it lists (validation messages, roster problems).
export function errorText(status, body) {
  if (!body || typeof body !== "object") return `The server answered ${status}.`;
  const lines = [body.detail || `The server answered ${status}.`];
  const extra = body.extra;
  if (Array.isArray(extra)) {
    for (const item of extra) if (item && item.message && item.message !== body.detail) lines.push(item.message);
  } else if (extra && Array.isArray(extra.problems)) {
    for (const problem of extra.problems) if (problem !== body.detail) lines.push(problem);
  }
  return lines.join("\n");
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch {
      return null;
    }
  },
  set(pair) {
    sessionStorage.setItem(
      KEY,
      JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token }),
    );
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

let refreshing = null;

async function refresh() {
  const held = session.get();
  if (!held) return false;
  refreshing ??= fetch("/api/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: held.refresh }),
  })
    .then(async (response) => {
      if (!response.ok) return false;
      session.set(await response.json());
      return true;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function toLogin() {
  session.clear();
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/login?next=${next}`);
}

// A call to the API; 401: refresh once and repeat once, then back to the log-in page.
export async function api(path, { method = "GET", body, auth = true, retried = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const held = session.get();
  if (auth && held) headers.Authorization = `Bearer ${held.access}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  // A 401 about the token (not a wrong password typed in a form): the session may just need renewing.
  if (response.status === 401 && auth && !(parsed && SAID_NO.has(parsed.code))) {
    if (!retried && (await refresh())) return api(path, { method, body, auth, retried: true });
    toLogin();
    throw new ApiError(401, { detail: "Your session has ended: log in again." });
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export function loggedIn() {
  return session.get() !== null;
}

// Pages for players only send visitors to the log-in page, then back.
export function requireLogin() {
  if (!loggedIn()) {
    toLogin();
    return false;
  }
  return true;
}

// A live stream with a fresh single-use ticket each time it (re)connects; returns a stop function.
// Reconnects wait longer after each failure in a row (up to half a minute), with jitter.
export function follow(url, eventName, onData, onTrouble) {
  let source = null;
  let stopped = false;
  let timer = null;
  let failures = 0;
  const retry = () => {
    failures += 1;
    const wait = Math.min(30000, 1000 * 2 ** Math.min(failures - 1, 5)) * (1 + Math.random());
    if (!stopped) timer = setTimeout(open, wait);
  };
  const open = async () => {
    if (stopped) return;
    try {
      const { ticket } = await api("/api/live/tickets", { method: "POST" });
      if (stopped) return;
      const sep = url.includes("?") ? "&" : "?";
      source = new EventSource(`${url}${sep}ticket=${encodeURIComponent(ticket)}`);
      source.addEventListener(eventName, (event) => {
        failures = 0;
        onData(JSON.parse(event.data));
      });
      source.onerror = () => {
        source.close();
        retry();
      };
    } catch (error) {
      if (onTrouble) onTrouble(error);
      if (!(error instanceof ApiError && error.status < 500 && error.status !== 429)) retry();
    }
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}

// Elements from data: text only (never HTML), so nothing a player typed can become markup.
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function showError(element, error) {
  if (!element) return;
  if (!error) {
    element.hidden = true;
    element.textContent = "";
    return;
  }
  element.textContent = error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

export function money(value) {
  return value === null || value === undefined ? "no limit" : `${Number(value).toFixed(1)}M`;
}

export function when(iso) {
  if (!iso) return "not set";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function clockTime(date = new Date()) {
  return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// "in 2 d 03:04:05", or "" once past.
export function countdown(iso, now = Date.now()) {
  const left = Math.floor((new Date(iso).getTime() - now) / 1000);
  if (left <= 0) return "";
  const days = Math.floor(left / 86400);
  const pad = (n) => String(n).padStart(2, "0");
  const hms = `${pad(Math.floor((left % 86400) / 3600))}:${pad(Math.floor((left % 3600) / 60))}:${pad(left % 60)}`;
  return days ? `in ${days} d ${hms}` : `in ${hms}`;
}

// The player's teams, and which one a page shows (?team=, else the first).
export async function myTeams() {
  const teams = await api("/api/teams?limit=200");
  return teams.items;
}

export function chosenId(name, items) {
  const wanted = Number(new URLSearchParams(location.search).get(name));
  const found = items.find((item) => item.id === wanted);
  return found ? found.id : items.length ? items[0].id : null;
}

export function fillSelect(select, items, chosen, label = (item) => item.name) {
  select.replaceChildren(
    ...items.map((item) => h("option", { value: item.id, selected: item.id === chosen }, label(item))),
  );
}

// Switching team or league keeps the page, with the choice in its URL.
export function onChoose(select, name) {
  select.addEventListener("change", () => {
    const params = new URLSearchParams(location.search);
    params.set(name, select.value);
    location.assign(`${location.pathname}?${params}`);
  });
}
