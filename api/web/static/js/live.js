// The live race page: the session and its clock, the running order with each driver's points, your
// team's live total, rank and picks, and your league's top, all moved by server-sent events.
import {
  $, ApiError, api, chosenId, clockTime, fillSelect, follow, h, myTeams, onChoose, requireLogin, when,
} from "./api.js";
import { pageError } from "./layout.js";
import { finality, ownLine, standingRows } from "./standings.js";

const TOP = 10;
const STATE_ORDER = { live: 0, provisional: 1, final: 2, upcoming: 3 };

const view = {
  meeting: null, session: null, mine: new Set(), orderSession: null, stopOrder: null, trackTime: null, refreshing: null,
  scored: false,
};

// The session a viewer wants: the live one, else the latest that has started, else the next.
function currentSession(sessions) {
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

// The track's clock: the timing feed's time at the latest window (as_of.window_time), else the schedule.
function tickClock() {
  const { session, trackTime } = view;
  const clock = $("[data-clock]");
  if (trackTime) {
    clock.textContent = `track time ${new Date(trackTime).toISOString().slice(11, 19)} UTC`;
  } else if (session && session.date_start) {
    clock.textContent = `starts ${new Date(session.date_start).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })}`;
  } else {
    clock.textContent = "";
  }
}

// Before the weekend's first scored window nothing has a score yet: say so, and when it starts.
function showWaiting() {
  const note = $("[data-waiting]");
  if (view.scored) {
    note.hidden = true;
    return;
  }
  const first = view.meeting.sessions.find((s) => s.state === "upcoming" || s.state === "live");
  const start = first && first.date_start ? ` (${first.name}, ${when(first.date_start)})` : "";
  note.textContent = `No live scores yet: they start with the first session${start}.`;
  note.hidden = false;
}

function scored() {
  view.scored = true;
  $("[data-waiting]").hidden = true;
}

function renderScore(score) {
  scored();
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
  if (score.as_of && score.as_of.window_time) view.trackTime = score.as_of.window_time;
  tickClock();
  $("[data-version]").textContent = score.as_of && score.as_of.version !== null ? `(window ${score.as_of.version})` : "";
  finality($("[data-finality]"), score);
  refreshRace();
}

function renderOrder(order) {
  if (order.items.length) scored();
  $("[data-order-state]").hidden = false;
  $("[data-order-state]").textContent = order.final ? "final" : "provisional";
  $("[data-order-state]").className = `tag ${order.final ? "final" : "provisional"}`;
  if (order.as_of && order.as_of.window_time) view.trackTime = order.as_of.window_time;
  tickClock();
  $("[data-order]").replaceChildren(
    ...(order.items.length
      ? order.items.map((r) =>
          h(
            "tr",
            { "data-driver": r.driver.code },
            h("td", {}, r.position ?? "–"),
            h("td", {}, `${r.driver.code} `, h("span", { class: "help" }, r.driver.constructor)),
            h("td", { class: "num" }, r.points, r.provisional ? h("span", { class: "help" }, " (prov.)") : null),
          ),
        )
      : [h("tr", {}, h("td", { colspan: 3 }, "No cars yet."))]),
  );
}

// No scored window of this session yet (the API's 404): in a player's words, not the API's.
function orderUnavailable() {
  $("[data-order-state]").hidden = true;
  $("[data-order]").replaceChildren(h("tr", {}, h("td", { colspan: 3 }, "No running order yet: it starts with the session.")));
  showWaiting();
}

// The session's running order, pushed (GET /api/live/sessions/{key}/running-order); a new session, a new stream.
async function followOrder() {
  const { session } = view;
  if (!session || view.orderSession === session.session_key) return;
  if (view.stopOrder) view.stopOrder();
  view.orderSession = session.session_key;
  try {
    renderOrder(await api(`/api/sessions/${session.session_key}/running-order`, { auth: false }));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    orderUnavailable();
  }
  view.stopOrder = follow(`/api/live/sessions/${session.session_key}/running-order`, "running_order", renderOrder, pageError);
}

// After each pushed score: the session's state (it may have moved on) and its order, one read at a time.
function refreshRace() {
  view.refreshing ||= (async () => {
    try {
      view.meeting = await api(`/api/meetings/${view.meeting.meeting_key}`, { auth: false });
      view.session = currentSession(view.meeting.sessions);
      renderSession();
      await followOrder();
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
    await followOrder();
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
