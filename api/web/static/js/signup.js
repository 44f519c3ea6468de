// Sign up, then log in with the same details and go build a team.
import { $, api, session, showError, formData } from "./api.js";
import "./layout.js";

const form = $("[data-form=signup]");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("[data-error]", form);
  showError(error, null);
  const { email, password, display_name } = formData(form);
  try {
    await api("/api/auth/register", { method: "POST", body: { email, password, display_name }, auth: false });
    session.set(await api("/api/auth/login", { method: "POST", body: { email, password }, auth: false }));
    location.assign("/team");
  } catch (problem) {
    showError(error, problem);
  }
});
