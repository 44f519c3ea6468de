// Standings tables shared by the league, live and results pages: the player's teams highlighted.
import { h } from "./api.js";

export function standingRows(standings, mine, withWeekends = false) {
  if (!standings.length) return [h("tr", {}, h("td", { colspan: withWeekends ? 4 : 3 }, "No teams scored yet."))];
  return standings.map((s) => {
    const own = mine.has(s.team_id);
    return h(
      "tr",
      { class: own ? "mine" : null, "data-team": s.team_id },
      h("td", {}, s.rank),
      h("td", {}, s.team_name || `Team ${s.team_id}`, own ? h("span", { class: "visually-hidden" }, " (your team)") : null),
      withWeekends ? h("td", { class: "num" }, s.weekends) : null,
      h("td", { class: "num" }, s.points),
    );
  });
}

export function ownLine(own, total) {
  if (!own) return "";
  return `${own.team_name || "Your team"}: ${ordinal(own.rank)} of ${total} with ${own.points} points.`;
}

export function ordinal(n) {
  const s = ["th", "st", "nd", "rd"];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] || s[v] || s[0]}`;
}

export function finality(element, body) {
  const final = Boolean(body && body.final);
  element.textContent = body ? (final ? "final" : "provisional") : "waiting";
  element.className = `tag ${final ? "final" : "provisional"}`;
}
