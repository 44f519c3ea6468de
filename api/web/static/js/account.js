// Your account: profile, password (which ends every session), deletion.
import { $, api, formData, requireLogin, session, showError } from "./api.js";
import { pageError } from "./layout.js";

function bind(name, handler) {
  const form = $(`[data-form=${name}]`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("[data-error]", form);
    showError(error, null);
    try {
      await handler(form, formData(form));
    } catch (problem) {
      showError(error, problem);
    }
  });
}

async function start() {
  if (!requireLogin()) return;
  let me;
  try {
    me = await api("/api/auth/me");
  } catch (error) {
    pageError(error);
    return;
  }
  $("#profile-email").value = me.email;
  $("#profile-name").value = me.display_name;
  bind("profile", async (form, data) => {
    const body = {};
    if (data.email !== me.email) body.email = data.email;
    if (data.display_name !== me.display_name) body.display_name = data.display_name;
    if (!Object.keys(body).length) {
      $("[data-status]", form).textContent = "Nothing changed.";
      return;
    }
    me = await api("/api/auth/me", { method: "PATCH", body });
    $("[data-status]", form).textContent = "Saved.";
  });
  bind("password", async (form, data) => {
    await api("/api/auth/password", { method: "POST", body: data });
    session.clear();
    location.assign("/login?changed=1");
  });
  bind("delete", async (form, data) => {
    if (!confirm("Delete your account for good?")) return;
    await api("/api/auth/me/delete", { method: "POST", body: data });
    session.clear();
    location.assign("/?deleted=1");
  });
}

start();
