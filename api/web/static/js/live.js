// The live race page: the session and its clock, the running order with each driver's points, your
// team's live total, rank and picks, and your league's top, all moved by server-sent events.
import { $, ApiError, api, chosenId, clockTime, fillSelect, follow, h, myTeams, onChoose, requireLogin } from "./api.js";
import { pageError } from "./layout.js";
import { finality, ownLine, standingRows } from "./standings.js";

const TOP = 10;
const STATE_ORDER = { live: 0, provisional: 1, final: 2, upcoming: 3 };

const view = { meeting: null, session: null, mine: new Set(), orderAvailable: null, refreshing: null };

// The session a viewer wants: the live one, else the latest that has started, else the next.
export function currentSession(sessions) {
  const live = sessions.find((s) => s.state === "live");
  if (live) return live;
  const started = sessions.filter((s) => s.state !== "upcoming");
  if (started.length) return started[started.length - 1];
  return sessions.slice().sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state])[0] || null;
}

function renderSession() {
  const { meeting, session } = view;
  $("[data-meeting-name]").textContent = meeting.name || `Weekend ${meeting.meeting_key}`;
  $("[data-session-name]").textContent = session ? session.name : "no session";
  const state = $("[data-session-state]");
  state.textContent = session ? session.state : "";
  state.className = `tag ${session ? session.state : ""}`;
  tickClock();
}

function tickClock() {
  const { session } = view;
  const clock = $("[data-clock]");
  if (!session || !session.date_start) {
    clock.textContent = "";
    return;
  }
  const started = new Date(session.date_start).getTime();
  const elapsed = Math.floor((Date.now() - started) / 1000);
  if (session.state === "live" && elapsed >= 0) {
    const pad = (n) => String(n).padStart(2, "0");
    clock.textContent = `${Math.floor(elapsed / 3600)}:${pad(Math.floor((elapsed % 3600) / 60))}:${pad(elapsed % 60)}`;
  } else {
    clock.textContent = new Date(session.date_start).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  }
}

function renderScore(score) {
  const total = $("[data-total]");
  total.dataset.version = score.as_of && score.as_of.version !== null ? score.as_of.version : "";
  total.dataset.final = score.final ? "true" : "false";
  total.textContent = score.net_points;
  $("[data-rank]").textContent = score.rank;
  $("[data-team-penalty]").textContent = score.transfer_penalty ? `−${score.transfer_penalty}` : "0";
  $("[data-picks]").replaceChildren(
    ...score.assets.map((a) =>
      h(
        "tr",
        { "data-pick": a.name },
        h("td", {}, a.name, a.part ? h("span", { class: "help" }, ` (${a.part})`) : null),
        h("td", { class: "num" }, a.points),
        h("td", { class: "num" }, a.multiplier),
        h("td", { class: "num" }, a.team_points),
      ),
    ),
  );
  $("[data-updated]").textContent = clockTime();
  $("[data-version]").textContent = score.as_of && score.as_of.version !== null ? `(window ${score.as_of.version})` : "";
  finality($("[data-finality]"), score);
  refreshRace();
}

function renderOrder(rows, provisionalNote) {
  const note = $("[data-order-note]");
  note.hidden = !provisionalNote;
  note.textContent = provisionalNote || "";
  $("[data-order]").replaceChildren(
    ...(rows.length
      ? rows.map((r) =>
          h("tr", {}, h("td", {}, r.position ?? "–"), h("td", {}, r.driver), h("td", { class: "num" }, r.points)),
        )
      : [h("tr", {}, h("td", { colspan: 3 }, "No running order yet."))]),
  );
}

// The running order (GET /api/sessions/{key}/running-order); until the API has it, the session's points.
async function refreshOrder() {
  const { session } = view;
  if (!session) return;
  if (view.orderAvailable !== false) {
    try {
      const order = await api(`/api/sessions/${session.session_key}/running-order`, { auth: false });
      view.orderAvailable = true;
      renderOrder(order.items, "");
      return;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      if (error.code === "not_found") view.orderAvailable = false;
      else return renderOrder([], error.message);
    }
  }
  try {
    const points = await api(`/api/sessions/${session.session_key}/points`, { auth: false });
    const rows = points.drivers
      .slice()
      .sort((a, b) => b.points - a.points)
      .map((d) => ({ position: null, driver: d.name, points: d.points }));
    renderOrder(rows, "The running order is not available yet: the drivers are listed by their points in this session.");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) renderOrder([], error.message);
    else throw error;
  }
}

// After each pushed score: the session's state (it may have moved on) and its order, one read at a time.
function refreshRace() {
  view.refreshing ||= (async () => {
    try {
      view.meeting = await api(`/api/meetings/${view.meeting.meeting_key}`, { auth: false });
      view.session = currentSession(view.meeting.sessions);
      renderSession();
      await refreshOrder();
    } catch (error) {
      pageError(error);
    } finally {
      view.refreshing = null;
    }
  })();
}

function renderBoard(body) {
  $("[data-board]").replaceChildren(...standingRows(body.standings, view.mine));
  $("[data-own]").textContent = ownLine(body.own, body.count);
}

async function start() {
  if (!requireLogin()) return;
  try {
    const teams = await myTeams();
    if (!teams.length) {
      pageError("You have no team yet: build one on the Team page.");
      return;
    }
    view.mine = new Set(teams.map((t) => t.id));
    const teamId = chosenId("team", teams);
    const teamSelect = $("#live-team");
    fillSelect(teamSelect, teams, teamId);
    onChoose(teamSelect, "team");
    $("[data-form=team]").hidden = teams.length < 2;
    const key = new URLSearchParams(location.search).get("meeting");
    view.meeting = await api(key ? `/api/meetings/${Number(key)}` : "/api/meetings/current", { auth: false });
    view.session = currentSession(view.meeting.sessions);
    renderSession();
    setInterval(tickClock, 1000);
    await refreshOrder();
    const meetingKey = view.meeting.meeting_key;

    follow(`/api/live/teams/${teamId}/score?meeting_key=${meetingKey}`, "score", renderScore, pageError);

    const team = await api(`/api/teams/${teamId}`);
    const leagues = (await api("/api/leagues?limit=200")).items.filter((l) => team.leagues.includes(l.id));
    leagues.sort((a, b) => Number(a.is_global) - Number(b.is_global)); // a league of friends first
    if (!leagues.length) {
      $("[data-league-name]").textContent = "none";
      return;
    }
    const leagueId = chosenId("league", leagues);
    const league = leagues.find((l) => l.id === leagueId);
    $("[data-league-name]").textContent = league.name;
    const leagueSelect = $("#live-league");
    fillSelect(leagueSelect, leagues, leagueId);
    onChoose(leagueSelect, "league");
    $("[data-form=league]").hidden = leagues.length < 2;
    const params = new URLSearchParams({ meeting_key: meetingKey, top: TOP, team_id: teamId });
    follow(`/api/live/leagues/${leagueId}/leaderboard?${params}`, "leaderboard", renderBoard, pageError);
  } catch (error) {
    pageError(error);
  }
}

start();
