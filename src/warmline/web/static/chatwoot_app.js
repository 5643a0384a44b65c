// Chatwoot's dashboard app protocol: ask the parent for its context; it answers with a
// JSON message {"event": "appContext", "data": {"conversation": ..., "contact": ...}}.
// Only a configured origin is listened to; the card then opens through an embed link.
(function () {
  "use strict";
  var root = document.getElementById("chatwoot-app");
  if (!root) return;
  var origins = (root.dataset.origins || "").split(" ").filter(Boolean);
  var status = root.querySelector(".embed-status");

  window.addEventListener("message", function (event) {
    if (origins.indexOf(event.origin) < 0) return;
    var message = event.data;
    if (typeof message === "string") {
      try { message = JSON.parse(message); } catch (e) { return; }
    }
    if (!message || message.event !== "appContext" || !message.data) return;
    var conversation = message.data.conversation || {};
    var contact = message.data.contact || (conversation.meta && conversation.meta.sender) || {};
    var fields = new URLSearchParams({
      conversation_id: conversation.id == null ? "" : String(conversation.id),
      contact_id: contact.id == null ? "" : String(contact.id)
    });
    fetch("/desk/apps/chatwoot/" + encodeURIComponent(root.dataset.account) + "/card", {
      method: "POST",
      headers: { "X-Desk-Fragment": "1", "Content-Type": "application/x-www-form-urlencoded" },
      body: fields.toString()
    }).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) throw b;
        window.location.replace(b.url);
      });
    }).catch(function (problem) {
      status.textContent = (problem && problem.detail) || "The card could not be opened";
    });
  });

  if (window.parent !== window) {
    origins.forEach(function (origin) {
      window.parent.postMessage("chatwoot-dashboard-app:fetch-info", origin);
    });
  }
})();
