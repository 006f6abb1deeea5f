// The token goes to /auth once, in an Authorization header (never in a URL); the answer sets an HttpOnly cookie.
"use strict";
const form = document.getElementById("login");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = document.getElementById("token").value.trim();
    const response = await fetch("/auth", { headers: { authorization: `Bearer ${token}` }, credentials: "same-origin" });
    if (response.ok) {
      window.location.assign("/");
      return;
    }
    const shown = document.getElementById("login-error");
    shown.textContent = "Wrong token: enter the value of MNISTQ_UI_TOKEN.";
    shown.hidden = false;
  });
}
