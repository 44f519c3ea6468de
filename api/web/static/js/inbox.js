// The inbox: results and reminders, newest first; read one or all; the unread count follows live.
import { $, api, follow, h, requireLogin, when } from "./api.js";
import { pageError, refreshUnread } from "./layout.js";

const KINDS = { results_final: "Results are final", lock_reminder: "Your team locks soon" };

function summary(n) {
  const p = n.payload || {};
  const where = [p.meeting_name, p.session_name].filter(Boolean).join(", ");
  if (n.kind === "results_final" && Array.isArray(p.teams)) {
    return [
      where,
      ...p.teams.map((t) => `${t.team_name}: ${t.session_points} points in the session, ${t.weekend_points} this weekend, rank ${t.rank}`),
    ];
  }
  if (n.kind === "lock_reminder") return [where, `Rosters lock at ${when(p.lock_at)}.`];
  return [where];
}

function item(n) {
  return h(
    "li",
    { class: n.read_at ? "read" : "unread", "data-notification": n.id },
    h("h2", {}, KINDS[n.kind] || n.kind, n.read_at ? "" : [" ", h("span", { class: "tag" }, "new")]),
    ...summary(n).filter(Boolean).map((line) => h("p", {}, line)),
    h("p", { class: "help" }, when(n.created_at)),
    n.read_at ? null : h("button", { type: "button", class: "secondary", onclick: () => mark(n.id) }, "Mark read"),
  );
}

async function load() {
  const [list, unread] = await Promise.all([api("/api/notifications?limit=50"), api("/api/notifications/unread")]);
  $("[data-unread-text]").textContent = unread.unread ? `${unread.unread} unread` : "Nothing unread.";
  $("[data-read-all]").hidden = !unread.unread;
  $("[data-notifications]").replaceChildren(
    ...(list.items.length ? list.items.map(item) : [h("li", {}, "No notifications yet.")]),
  );
  refreshUnread();
}

async function mark(id) {
  try {
    await api(`/api/notifications/${id}/read`, { method: "POST" });
    await load();
  } catch (error) {
    pageError(error);
  }
}

async function start() {
  if (!requireLogin()) return;
  $("[data-read-all]").addEventListener("click", async () => {
    try {
      await api("/api/notifications/read-all", { method: "POST" });
      await load();
    } catch (error) {
      pageError(error);
    }
  });
  try {
    await load();
    let seen = null;
    follow("/api/live/notifications", "inbox", (event) => {
      const key = `${event.unread}:${event.latest ? event.latest.id : ""}`;
      if (seen !== null && key !== seen) load().catch(pageError);
      seen = key;
    });
  } catch (error) {
    pageError(error);
  }
}

start();
