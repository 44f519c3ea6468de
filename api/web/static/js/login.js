// Log in: tokens into this tab's storage, then back where the player was going.
import { $, api, session, showError, formData } from "./api.js";
import "./layout.js";

function destination() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

async function logIn(email, password) {
  session.set(await api("/api/auth/login", { method: "POST", body: { email, password }, auth: false }));
}

const form = $("[data-form=login]");
if (new URLSearchParams(location.search).has("changed")) {
  $("[data-status]").textContent = "Your password is changed: log in with the new one.";
}
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("[data-error]", form);
  showError(error, null);
  const { email, password } = formData(form);
  try {
    await logIn(email, password);
    location.assign(destination());
  } catch (problem) {
    showError(error, problem);
  }
});
