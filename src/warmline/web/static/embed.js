// The embedded card: the agent's actions posted with the frame's embed session, and each
// one told to the agent desktop around it by postMessage (to an allowed origin only).
(function () {
  "use strict";
  var root = document.getElementById("embed");
  if (!root) return;
  var session = root.dataset.session;
  var origins = JSON.parse(root.dataset.origins || "[]");
  var status = root.querySelector(".embed-status");

  function parentOrigin() {
    var ancestors = window.location.ancestorOrigins;
    if (ancestors && ancestors.length && origins.indexOf(ancestors[0]) >= 0) return ancestors[0];
    return origins.length === 1 ? origins[0] : null;
  }

  function tell(type, detail) {
    var origin = parentOrigin();
    if (!origin || window.parent === window) return;
    var message = { source: "warmline", type: type };
    Object.keys(detail).forEach(function (k) { message[k] = detail[k]; });
    window.parent.postMessage(message, origin);
  }

  function say(text, failed) {
    status.textContent = text;
    status.classList.toggle("error", !!failed);
  }

  function call(method, path, fields) {
    var init = { method: method, headers: { "X-Embed": "1" }, credentials: "omit" };
    if (fields) {
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
      init.body = new URLSearchParams(fields).toString();
    }
    return fetch("/embed/" + encodeURIComponent(session) + path, init).then(function (r) {
      var type = r.headers.get("content-type") || "";
      var body = type.indexOf("json") >= 0 ? r.json() : r.text();
      return body.then(function (b) {
        if (!r.ok) throw b;
        return b;
      });
    });
  }

  function failed(problem) {
    var text = (problem && problem.detail) || "That did not work";
    say(text + (problem && problem.code ? " (" + problem.code + ")" : ""), true);
  }

  var ids = { customer_id: root.dataset.customerId, interaction_id: root.dataset.externalId || null };

  function markReason(reason) {
    call("POST", "/reason", { reason: reason }).then(function (b) {
      say("Marked the reason: " + b.reason);
      tell("warmline:reason", { customer_id: ids.customer_id, interaction_id: ids.interaction_id, reason: b.reason });
    }, failed);
  }

  root.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.classList.contains("mark-reason")) {
      markReason(target.dataset.reason);
    } else if (target.classList.contains("open-conversation")) {
      call("GET", "/conversation/" + encodeURIComponent(target.dataset.interactionId)).then(function (html) {
        var box = document.getElementById("embed-conversation");
        box.innerHTML = html; // rendered by Warmline with every customer word escaped
        box.hidden = false;
        box.scrollIntoView({ block: "nearest" });
      }, failed);
    } else if (target.classList.contains("close-conversation")) {
      document.getElementById("embed-conversation").hidden = true;
    }
  });

  var reasonForm = root.querySelector(".reason-form");
  if (reasonForm) {
    reasonForm.addEventListener("submit", function (event) {
      event.preventDefault();
      markReason(reasonForm.elements.reason.value);
    });
  }

  var handover = root.querySelector(".embed-handover");
  if (handover) {
    handover.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = {
        to: handover.elements.to.value,
        to_kind: handover.elements.to_kind.value,
        remark: handover.elements.remark.value
      };
      call("POST", "/handover", fields).then(function (b) {
        say("Handed over to " + b.to + " with a note.");
        handover.hidden = true;
        tell("warmline:handover", { customer_id: ids.customer_id, interaction_id: ids.interaction_id, handover_id: b.handover_id, to: b.to, to_queue: b.to_queue });
      }, failed);
    });
  }

  tell("warmline:ready", ids);
})();
