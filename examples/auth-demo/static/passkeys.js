// The passkey buttons of auth-demo's pages. Served as /passkeys.js (the pages
// allow scripts from their own origin only, and no inline script).
//
// Each button names its ceremony in `data-passkey`:
//   sign-in     /login: a passkey sign-in, no username asked
//   second-step /mfa:   the passkey as the second step after a password
//   add         /account: register a new passkey (named by the field
//               `passkey-name`, if the page has one)
// The options come from the app's page routes, which read the page's own
// cookies; the browser's answer goes back as `credential.toJSON()`.
"use strict";

const ceremonies = {
  "sign-in": async () => {
    const { ceremony, publicKey } = await post("/login/passkey/options");
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey),
    });
    return post("/login/passkey", { ceremony, credential: credential.toJSON() });
  },
  "second-step": async () => {
    const { publicKey } = await post("/mfa/passkey/options");
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey),
    });
    return post("/mfa/passkey", { credential: credential.toJSON() });
  },
  add: async () => {
    const { publicKey } = await post("/account/passkeys/options");
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(publicKey),
    });
    const field = document.getElementById("passkey-name");
    const name = field ? field.value : "";
    return post("/account/passkeys", { credential: credential.toJSON(), name });
  },
};

// POSTs `body` as JSON; the answer's JSON, or an Error with the server's
// `error_description`.
async function post(path, body = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(answer.error_description || `The server answered ${response.status}.`);
  }
  return answer;
}

function say(message) {
  const status = document.getElementById("passkey-status");
  if (status) {
    status.textContent = message;
  }
}

function explain(error) {
  if (error && error.name === "NotAllowedError") {
    return "The passkey was not used (cancelled or timed out).";
  }
  if (error && error.name === "InvalidStateError") {
    return "This device already holds a passkey for this account.";
  }
  return (error && error.message) || "The passkey did not work.";
}

for (const button of document.querySelectorAll("[data-passkey]")) {
  const run = ceremonies[button.dataset.passkey];
  if (!run) {
    continue;
  }
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) {
    button.disabled = true;
    say("This browser cannot use passkeys.");
    continue;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    say("Waiting for your passkey…");
    try {
      const done = await run();
      window.location.assign(done.redirect || window.location.pathname);
    } catch (error) {
      say(explain(error));
      button.disabled = false;
    }
  });
}
