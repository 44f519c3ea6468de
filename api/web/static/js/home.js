// Home: the current weekend and its lock, and the player's teams.
import { $, api, countdown, h, loggedIn, when } from "./api.js";
import { pageError } from "./layout.js";

async function start() {
  const box = $("[data-weekend]");
  try {
    const meeting = await api("/api/meetings/current", { auth: false });
    const lock = meeting.state === "final"
      ? h("span", {}, "This weekend is over: see ", h("a", { href: "/results" }, "the results"), ".")
      : meeting.locked
        ? "Rosters are locked until the Race is final."
        : meeting.lock_at
          ? `Rosters lock ${countdown(meeting.lock_at) || "now"} (${when(meeting.lock_at)}).`
          : "";
    box.replaceChildren(
      h("p", {}, h("strong", {}, meeting.name || `Weekend ${meeting.meeting_key}`), ` · ${meeting.circuit || ""} · `,
        h("span", { class: `tag ${meeting.state}` }, meeting.state)),
      h("p", {}, lock),
    );
  } catch (error) {
    box.replaceChildren(h("p", {}, error.message));
  }
  if (!loggedIn()) return;
  try {
    const teams = (await api("/api/teams?limit=200")).items;
    $("[data-teams]").replaceChildren(
      ...(teams.length
        ? teams.map((t) => h("li", {}, h("a", { href: `/team?team=${t.id}` }, t.name), " · ",
            h("a", { href: `/live?team=${t.id}` }, "live"), " · ", h("a", { href: `/results?team=${t.id}` }, "results")))
        : [h("li", {}, "No team yet: build one.")]),
    );
  } catch (error) {
    pageError(error);
  }
}

start();
