// The weekend's results in each of your team's leagues (final once the Race is; until then, after the last
// final session, said as such), and your team's history.
import { $, ApiError, api, chosenId, fillSelect, h, myTeams, onChoose, requireLogin } from "./api.js";
import { pageError } from "./layout.js";
import { ordinal, standingRows } from "./standings.js";

const TOP = 20;

function historyRow(w) {
  return h(
    "tr",
    {},
    h("td", {}, w.meeting_name || `Weekend ${w.meeting_key}`),
    h("td", {}, w.final ? "final" : "provisional"),
    h("td", { class: "num" }, w.points ?? "–"),
    h("td", { class: "num" }, w.transfer_penalty),
    h("td", { class: "num" }, w.net_points ?? "–"),
    h("td", { class: "num" }, w.rank ?? "–"),
  );
}

// The last final session's name: a league's results before the Race is final are the standings after it.
function sessionName(results, meeting) {
  const session = meeting.sessions.find((s) => s.session_key === results.session_key);
  return session ? session.name : "the last final session";
}

async function leagueResults(league, meeting, mine) {
  const section = h("section", { "aria-label": `Results: ${league.name}` }, h("h3", {}, league.name));
  try {
    const results = await api(`/api/leagues/${league.id}/results?meeting_key=${meeting.meeting_key}&limit=${TOP}`);
    const after = sessionName(results, meeting);
    const kind = results.final ? "final standings" : `standings after ${after}, not final`;
    if (!results.final) {
      section.append(h("p", { "data-results-kind": league.id }, `Standings after ${after}: the Race is not final yet. Its points so far are on the `,
        h("a", { href: "/live" }, "live race"), " page."));
    }
    section.append(
      h(
        "table",
        { class: "standings", "data-results": league.id, "data-final": String(results.final) },
        h("caption", { class: "visually-hidden" }, `${league.name}: ${kind}`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Rank"), h("th", { scope: "col" }, "Team"), h("th", { scope: "col", class: "num" }, "Points"))),
        h("tbody", {}, ...standingRows(results.standings, mine)),
      ),
    );
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    // The league is the player's: a 404 here is a weekend with no final results yet (the API's words name
    // its endpoints, for developers).
    section.append(h("p", {}, "No final results yet: they come when the Race is final. Until then, see the ",
      h("a", { href: "/live" }, "live race"), "."));
  }
  return section;
}

async function start() {
  if (!requireLogin()) return;
  try {
    const teams = await myTeams();
    if (!teams.length) {
      pageError("You have no team yet: build one on the Team page.");
      return;
    }
    const mine = new Set(teams.map((t) => t.id));
    const teamId = chosenId("team", teams);
    fillSelect($("#results-team"), teams, teamId);
    onChoose($("#results-team"), "team");
    $("[data-form=team]").hidden = teams.length < 2;
    const [meeting, team, leagues, history] = await Promise.all([
      api("/api/meetings/current", { auth: false }),
      api(`/api/teams/${teamId}`),
      api("/api/leagues?limit=200"),
      api(`/api/teams/${teamId}/history`),
    ]);
    $("[data-meeting-name]").textContent = meeting.name || `Weekend ${meeting.meeting_key}`;
    try {
      const score = await api(`/api/teams/${teamId}/score?meeting_key=${meeting.meeting_key}`);
      if (score.final) $("[data-results-title]").textContent = "Final results";
      $("[data-final-note]").textContent = score.final
        ? `${team.name}: ${score.net_points} points (final), ${ordinal(score.rank)} of everyone.`
        : `${team.name}: ${score.net_points} points so far; the results are not final yet.`;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      $("[data-final-note]").textContent = error.message;
    }
    const played = leagues.items.filter((l) => team.leagues.includes(l.id));
    played.sort((a, b) => Number(a.is_global) - Number(b.is_global));
    $("[data-final-leagues]").replaceChildren(
      ...(await Promise.all(played.map((l) => leagueResults(l, meeting, mine)))),
    );
    $("[data-history]").replaceChildren(
      ...(history.weekends.length ? history.weekends.map(historyRow) : [h("tr", {}, h("td", { colspan: 6 }, "No weekend scored yet."))]),
    );
  } catch (error) {
    pageError(error);
  }
}

start();
