// Team builder: pick within the budget (updated as you pick), the boost, chips; the API's preview shows
// the transfers and their penalty before saving, and the API's refusals are shown in its own words.
import {
  $, ApiError, api, chosenId, countdown, fillSelect, formData, h, money, myTeams, onChoose, requireLogin,
  showError,
} from "./api.js";
import { pageError } from "./layout.js";
import { ordinal } from "./standings.js";

const CHIP_NAMES = {
  wildcard: "Wildcard",
  limitless: "Limitless",
  extra_drs: "Extra DRS",
  autopilot: "Autopilot",
  no_negative: "No Negative",
  final_fix: "Final Fix",
};
const WHEN = { before_lock: "before the lock", after_qualifying: "after Qualifying, before the Race" };

const state = {
  rules: null,
  assets: null,
  meeting: null,
  team: null,
  points: new Map(),
  drivers: new Set(),
  constructors: new Set(),
  preview: null,
  previewSeq: 0,
};

function price(name) {
  const asset = [...state.assets.drivers, ...state.assets.constructors].find((a) => a.name === name);
  return asset ? asset.price : 0;
}

function budget() {
  const selection = state.team.selection;
  if (selection && selection.budget === null) return null; // a Limitless week
  return state.assets.budget;
}

function picks() {
  const boost = $("#boost").value;
  return { drivers: [...state.drivers], constructors: [...state.constructors], boost_driver: boost };
}

function assetItem(asset, kind, picked) {
  const id = `pick-${kind}-${asset.name.replace(/[^A-Za-z0-9]/g, "-")}`;
  const points = state.points.get(asset.name);
  const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
  if (asset.colour) swatch.style.setProperty("--team", `#${asset.colour}`);
  return h(
    "li",
    {},
    h("input", {
      type: "checkbox", id, name: kind, value: asset.name, checked: picked.has(asset.name),
      onchange: (event) => {
        if (event.target.checked) picked.add(asset.name);
        else picked.delete(asset.name);
        changed();
      },
    }),
    h(
      "label",
      { for: id },
      swatch,
      h("span", { class: "asset-name" }, kind === "driver" ? `${asset.name} ${asset.full_name || ""}` : asset.name),
      h("span", { class: "asset-meta" }, kind === "driver" && asset.constructor ? asset.constructor : ""),
      h("span", { class: "asset-price" }, money(asset.price)),
      h("span", { class: "asset-points" }, points === undefined ? "– pts" : `${points} ${Math.abs(points) === 1 ? "pt" : "pts"}`),
    ),
  );
}

function renderAssets() {
  const { rules, assets } = state;
  $("[data-drivers-legend]").textContent = `Drivers: pick ${rules.drivers}`;
  $("[data-constructors-legend]").textContent = `Constructors: pick ${rules.constructors}`;
  $("[data-boost-x]").textContent = `×${rules.boost_multiplier}`;
  $("[data-drivers]").replaceChildren(...assets.drivers.map((a) => assetItem(a, "driver", state.drivers)));
  $("[data-constructors]").replaceChildren(
    ...assets.constructors.map((a) => assetItem(a, "constructor", state.constructors)),
  );
}

function renderBoost(current) {
  const select = $("#boost");
  const keep = current || select.value;
  const drivers = [...state.drivers];
  select.replaceChildren(...drivers.map((d) => h("option", { value: d, selected: d === keep }, d)));
  if (!drivers.includes(keep) && drivers.length) select.value = drivers[0];
}

function renderBudget() {
  const cost = [...state.drivers, ...state.constructors].reduce((sum, name) => sum + price(name), 0);
  const limit = budget();
  $("[data-cost]").textContent = money(cost);
  const left = $("[data-budget-left]");
  left.textContent = limit === null ? "no limit (Limitless)" : money(limit - cost);
  left.classList.toggle("over", limit !== null && cost > limit + 1e-9);
  $("[data-driver-count]").textContent = `${state.drivers.size} of ${state.rules.drivers}`;
  $("[data-constructor-count]").textContent = `${state.constructors.size} of ${state.rules.constructors}`;
}

let previewTimer = null;

function changed() {
  renderBoost();
  renderBudget();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 150);
}

// The API's own reckoning of the picks: cost, transfers, free ones, penalty, and what is wrong.
async function preview() {
  const body = picks();
  const seq = ++state.previewSeq;
  const problems = $("[data-problems]");
  if (!body.drivers.length) {
    state.preview = null;
    problems.replaceChildren(h("li", {}, "Pick your drivers and constructors."));
    return;
  }
  try {
    const result = await api(`/api/teams/${state.team.id}/roster/preview`, { method: "POST", body });
    if (seq !== state.previewSeq) return;
    state.preview = result;
    $("[data-transfers]").textContent = result.transfers;
    $("[data-free-transfers]").textContent = result.free_transfers;
    $("[data-penalty]").textContent = result.penalty ? `−${result.penalty} points` : "none";
    problems.replaceChildren(...result.problems.map((p) => h("li", {}, p)));
    if (result.locked) problems.append(h("li", {}, "The weekend is locked: the picks cannot be saved now."));
    const confirm = $("[data-penalty-confirm]");
    confirm.hidden = !result.penalty;
    $("[data-penalty-label]").textContent = `I accept the ${result.penalty}-point penalty for ${result.transfers} transfers`;
  } catch (error) {
    if (seq !== state.previewSeq) return;
    // No weekend open for changes (the last one is over): a player's words, not the operator's.
    const closed = error instanceof ApiError && error.code === "no_weekend";
    problems.replaceChildren(h("li", {}, closed ? NO_WEEKEND_OPEN : error.message));
  }
}

async function save(event) {
  event.preventDefault();
  const form = event.target;
  const error = $("[data-error]", form);
  const status = $("[data-status]", form);
  showError(error, null);
  status.textContent = "";
  await preview();
  if (state.preview && state.preview.penalty && !$("#accept-penalty").checked) {
    showError(error, `These transfers cost ${state.preview.penalty} points: tick the box to accept the penalty.`);
    return;
  }
  try {
    state.team = await api(`/api/teams/${state.team.id}/roster`, { method: "PUT", body: picks() });
    status.textContent = `Saved: ${state.team.selection.drivers.join(", ")}, ${state.team.selection.constructors.join(", ")}.`;
    $("#accept-penalty").checked = false;
    await preview();
    renderChips();
  } catch (problem) {
    showError(error, problem);
  }
}

// A weekend that is over: its roster as played and its final score, no countdown (nothing can be saved
// until the next weekend is on the calendar).
async function showFinal() {
  $("[data-form=roster] button[type=submit]").disabled = true;
  const box = $("[data-lock]");
  const results = h("a", { href: `/results?team=${state.team.id}` }, "the results");
  box.replaceChildren(`This weekend is over: see `, results, ". Rosters open again with the next weekend.");
  try {
    const score = await api(`/api/teams/${state.team.id}/score?meeting_key=${state.meeting.meeting_key}`);
    const how = score.final ? "final" : "so far";
    box.replaceChildren(
      `This weekend is over: ${state.team.name} scored ${score.net_points} points (${how}), `,
      `${ordinal(score.rank)} of everyone; see `, results, ". Rosters open again with the next weekend.",
    );
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;  // not scored: the words above
  }
}

function tickLock() {
  const week = state.team.week;
  const lockAt = (week && week.lock_at) || state.meeting.lock_at;
  const locked = (week && week.locked) || state.meeting.locked;
  const out = $("[data-countdown]");
  $("[data-form=roster] button[type=submit]").disabled = Boolean(locked);
  if (locked) out.textContent = "now: locked until the Race is final";
  else if (!lockAt) out.textContent = "when the first scored session starts";
  else out.textContent = countdown(lockAt) || "now";
}

function driverSelect(id, label, drivers) {
  return [
    h("label", { for: id }, label),
    h("select", { id, name: id }, ...drivers.map((d) => h("option", { value: d }, d))),
  ];
}

const NO_WEEKEND_OPEN = "Rosters open again with the next weekend: nothing can be changed until it is on the calendar.";

// A weekend that is over takes no picks and no chips until the next one is on the calendar.
function weekendOver() {
  return Boolean(state.meeting && state.meeting.state === "final");
}

function renderChips() {
  const { rules, team } = state;
  const week = team.week;
  const played = week && week.chip;
  const drivers = team.selection ? team.selection.drivers : [];
  const others = state.assets.drivers.map((d) => d.name).filter((d) => !drivers.includes(d));
  $("[data-chip-played]").replaceChildren(
    played
      ? h("span", {}, `This weekend: ${CHIP_NAMES[played] || played}. `,
          h("button", { type: "button", onclick: takeBack, disabled: weekendOver() }, "Take it back"))
      : "No chip played this weekend.",
  );
  const used = new Map(team.chips.map((c) => [c.chip, c]));
  $("[data-chips]").replaceChildren(
    ...rules.chips.map((rule) => {
      const formId = `chip-${rule.chip}`;
      const usedOne = used.get(rule.chip);
      const fields = [];
      if (rule.chip === "extra_drs") fields.push(...driverSelect(`${formId}-driver`, "Driver scoring ×3", drivers));
      if (rule.chip === "final_fix") {
        fields.push(...driverSelect(`${formId}-out`, "Driver out", drivers));
        fields.push(...driverSelect(`${formId}-in`, "Driver in", others));
      }
      return h(
        "li",
        { class: "chip" },
        h("h3", {}, CHIP_NAMES[rule.chip] || rule.chip),
        h("p", {}, rule.description),
        h("p", { class: "help" }, `Played ${WHEN[rule.when] || rule.when}; once a season.`),
        usedOne
          ? h("p", { class: "tag" }, `Played for weekend ${usedOne.meeting_key}`)
          : h(
              "form",
              { class: "inline", "aria-label": `Play ${CHIP_NAMES[rule.chip] || rule.chip}`, onsubmit: (e) => play(e, rule.chip, formId) },
              ...fields,
              h("button", { type: "submit", disabled: Boolean(played) || weekendOver() }, "Play"),
            ),
      );
    }),
  );
}

async function play(event, chip, formId) {
  event.preventDefault();
  const body = { chip };
  if (chip === "extra_drs") body.extra_drs_driver = $(`#${formId}-driver`).value;
  if (chip === "final_fix") {
    body.out_driver = $(`#${formId}-out`).value;
    body.in_driver = $(`#${formId}-in`).value;
  }
  await chipCall(`/api/teams/${state.team.id}/chips`, "POST", body);
}

async function takeBack() {
  await chipCall(`/api/teams/${state.team.id}/chips/current`, "DELETE");
}

async function chipCall(path, method, body) {
  const error = $("[data-chip-error]");
  showError(error, null);
  try {
    await api(path, { method, body });
    state.team = await api(`/api/teams/${state.team.id}`);
    renderChips();
    renderBudget();
    preview();
  } catch (problem) {
    showError(error, problem);
  }
}

// This weekend's points so far, per asset, from the sessions that have any.
async function weekendPoints(meeting) {
  const points = new Map();
  const started = meeting.sessions.filter((s) => s.state !== "upcoming");
  const reads = await Promise.all(
    started.map((s) => api(`/api/sessions/${s.session_key}/points`, { auth: false }).catch(() => null)),
  );
  for (const read of reads) {
    if (!read) continue;
    for (const asset of [...read.drivers, ...read.constructors]) {
      points.set(asset.name, (points.get(asset.name) || 0) + asset.points);
    }
  }
  return points;
}

async function createTeam(event) {
  event.preventDefault();
  const form = event.target;
  const error = $("[data-create-error]");
  showError(error, null);
  try {
    const team = await api("/api/teams", { method: "POST", body: { name: formData(form).name } });
    location.assign(`/team?team=${team.id}`);
  } catch (problem) {
    showError(error, problem);
  }
}

async function start() {
  if (!requireLogin()) return;
  $("[data-form=create-team]").addEventListener("submit", createTeam);
  try {
    const teams = await myTeams();
    if (!teams.length) return;
    const chooser = $("[data-form=choose]");
    const select = $("#team-select");
    const id = chosenId("team", teams);
    fillSelect(select, teams, id);
    onChoose(select, "team");
    chooser.hidden = false;
    const [rules, assets, team] = await Promise.all([
      api("/api/rules"),
      api("/api/assets"),
      api(`/api/teams/${id}`),
    ]);
    Object.assign(state, { rules, assets, team });
    state.meeting = await api(`/api/meetings/${assets.meeting_key}`);
    state.points = await weekendPoints(state.meeting);
    $("[data-weekend-name]").textContent = `${state.meeting.name || "Weekend " + state.meeting.meeting_key} (${state.meeting.state})`;
    if (team.selection) {
      team.selection.drivers.forEach((d) => state.drivers.add(d));
      team.selection.constructors.forEach((c) => state.constructors.add(c));
    }
    renderAssets();
    renderBoost(team.selection && team.selection.boost_driver);
    renderBudget();
    renderChips();
    if (state.meeting.state === "final") {
      await showFinal();
    } else {
      tickLock();
      setInterval(tickLock, 1000);
    }
    $("[data-form=roster]").addEventListener("submit", save);
    $("#boost").addEventListener("change", () => preview());
    $("[data-builder]").hidden = false;
    await preview();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) pageError(error);
  }
}

start();
