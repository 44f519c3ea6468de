// One league: its code to share, this weekend's standings live (server-sent events), the season table.
import { $, ApiError, api, clockTime, follow, h, myTeams, requireLogin } from "./api.js";
import { pageError } from "./layout.js";
import { finality, ownLine, standingRows } from "./standings.js";

const TOP = 20;

async function start() {
  if (!requireLogin()) return;
  const id = Number(new URLSearchParams(location.search).get("id"));
  try {
    const [league, teams, members] = await Promise.all([
      api(`/api/leagues/${id}`),
      myTeams(),
      api(`/api/leagues/${id}/members?limit=200`),
    ]);
    const mine = new Set(teams.map((t) => t.id));
    const myMember = members.items.find((m) => m.mine);
    document.querySelector("h1").textContent = league.name;
    $("[data-league-info]").textContent =
      `${league.teams} team${league.teams === 1 ? "" : "s"} · ${league.is_global ? "everyone" : league.is_public ? "public" : "private"}`;
    if (league.invite_code && !league.is_global) {
      $("[data-code]").textContent = league.invite_code;
      $("[data-share]").hidden = false;
      $("[data-copy]").addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(league.invite_code);
          $("[data-copied]").textContent = "Copied.";
        } catch {
          $("[data-copied]").textContent = "Select the code to copy it.";
        }
      });
    }
    const meeting = await api("/api/meetings/current", { auth: false });
    const board = (body) => {
      $("[data-board]").replaceChildren(...standingRows(body.standings, mine));
      $("[data-own]").textContent = ownLine(body.own, body.count);
      $("[data-board-updated]").textContent = clockTime();
      finality($("[data-board-state]"), body);
      $("[data-board-state]").hidden = false;
    };
    const params = new URLSearchParams({ meeting_key: meeting.meeting_key, top: TOP });
    if (myMember) params.set("team_id", myMember.team_id);
    try {
      board(await api(`/api/leagues/${id}/leaderboard?meeting_key=${meeting.meeting_key}&limit=${TOP}`));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      // The league is read above: a 404 here is a weekend with no scored window yet (the API's words are
      // for developers: they name the meeting's key).
      const words = "No live scores yet: they start with the weekend's first session.";
      $("[data-board]").replaceChildren(h("tr", {}, h("td", { colspan: 3 }, words)));
    }
    follow(`/api/live/leagues/${id}/leaderboard?${params}`, "leaderboard", board, pageError);
    try {
      const season = await api(`/api/leagues/${id}/season?limit=50`);
      $("[data-season]").replaceChildren(...standingRows(season.standings, mine, true));
    } catch (error) {
      $("[data-season]").replaceChildren(h("tr", {}, h("td", { colspan: 4 }, error.message)));
    }
  } catch (error) {
    pageError(error);
  }
}

start();
