// Every page: the navigation for a player or a visitor, log-out, and the inbox's unread count.
import { $, api, loggedIn, session, showError } from "./api.js";

export function pageError(error) {
  showError($("[data-page-error]"), error);
}

function layout() {
  // Forms are sent by their scripts, never by the browser (a log-in form must not post itself).
  document.addEventListener("submit", (event) => event.preventDefault(), true);
  const inside = loggedIn();
  for (const item of document.querySelectorAll(".when-in")) item.hidden = !inside;
  for (const item of document.querySelectorAll(".when-out")) item.hidden = inside;
  const logout = $("[data-logout]");
  logout?.addEventListener("click", async () => {
    try {
      await api("/api/auth/logout", { method: "POST", retried: true });
    } catch {
      // the session may be over already: forgetting the tokens is what matters
    }
    session.clear();
    location.assign("/login");
  });
  if (inside) refreshUnread();
}

export async function refreshUnread() {
  const badge = $("[data-unread]");
  if (!badge) return;
  try {
    const { unread } = await api("/api/notifications/unread");
    badge.textContent = unread ? `${unread} unread` : "";
    badge.hidden = !unread;
  } catch {
    badge.hidden = true;
  }
}

layout();
