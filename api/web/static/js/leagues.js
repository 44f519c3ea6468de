// Leagues: yours (with their invite codes to share), join one by code, create one.
import { $, api, fillSelect, formData, h, myTeams, requireLogin, showError } from "./api.js";
import { pageError } from "./layout.js";

function card(league) {
  return h(
    "li",
    {},
    h("h3", {}, h("a", { href: `/league?id=${league.id}` }, league.name)),
    h("p", {}, `${league.teams} team${league.teams === 1 ? "" : "s"} · `,
      league.is_global ? "everyone" : league.is_public ? "public" : "private"),
    league.invite_code && !league.is_global
      ? h("p", {}, "Invite code: ", h("code", { "data-invite": league.id }, league.invite_code))
      : null,
  );
}

async function load() {
  const leagues = (await api("/api/leagues?limit=200")).items;
  $("[data-leagues]").replaceChildren(
    ...(leagues.length ? leagues.map(card) : [h("li", {}, "No league yet: join one with its code, or create one.")]),
  );
}

async function start() {
  if (!requireLogin()) return;
  const join = $("[data-form=join]");
  join.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("[data-error]", join), null);
    const { invite_code, team_id } = formData(join);
    try {
      const league = await api("/api/leagues/join", {
        method: "POST",
        body: { invite_code: invite_code.trim(), team_id: Number(team_id) },
      });
      $("[data-status]", join).textContent = `Joined ${league.name || "the league"}.`;
      await load();
    } catch (problem) {
      showError($("[data-error]", join), problem);
    }
  });
  const create = $("[data-form=create]");
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError($("[data-error]", create), null);
    const { name, is_public } = formData(create);
    try {
      const league = await api("/api/leagues", { method: "POST", body: { name, is_public: Boolean(is_public) } });
      location.assign(`/league?id=${league.id}`);
    } catch (problem) {
      showError($("[data-error]", create), problem);
    }
  });
  try {
    const teams = await myTeams();
    fillSelect($("#join-team"), teams, teams.length ? teams[0].id : null);
    await load();
  } catch (error) {
    pageError(error);
  }
}

start();
