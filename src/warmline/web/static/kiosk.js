// The branch kiosk: a customer says why they came, then checks in by the app's QR code,
// their mobile number and a texted code, or an appointment reference. Every fragment
// comes rendered (and escaped) from the server; errors are shown as text.
(function () {
  "use strict";
  var kiosk = document.getElementById("kiosk");
  if (!kiosk) return;
  var base = "/branch/" + encodeURIComponent(kiosk.dataset.branch) + "/kiosk";
  var chosen = { service: "", reason: "" };
  var errorBox = kiosk.querySelector(".kiosk-error");
  var restartButton = kiosk.querySelector(".restart");
  var idle = null;

  function show(name) {
    kiosk.querySelectorAll(".step").forEach(function (s) { s.hidden = s.dataset.step !== name; });
    restartButton.hidden = name === "start";
    hideError();
    var first = kiosk.querySelector('.step[data-step="' + name + '"] input:not([type=hidden])');
    if (first) first.focus();
    // A kiosk left half-way goes back to the start, so the next customer sees nothing of it.
    clearTimeout(idle);
    if (name !== "start") idle = setTimeout(restart, name === "done" ? 20000 : 90000);
  }

  function restart() {
    chosen = { service: "", reason: "" };
    kiosk.querySelectorAll("form").forEach(function (f) { f.reset(); });
    var otp = kiosk.querySelector('.step[data-step="otp"]');
    otp.replaceChildren();
    kiosk.querySelector('.step[data-step="done"]').replaceChildren();
    show("start");
  }

  function hideError() { errorBox.hidden = true; }
  function showError(problem) {
    errorBox.querySelector(".error-text").textContent = problem.detail || "Something went wrong";
    errorBox.querySelector(".error-hint").textContent = problem.hint || "";
    errorBox.hidden = false;
  }

  function post(path, fields) {
    return fetch(base + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Desk-Fragment": "1" },
      body: new URLSearchParams(fields).toString()
    }).then(function (r) {
      if (r.status === 401) { window.location.assign("/branch/sign-in"); throw new Error("signed out"); }
      if (!r.ok) return r.json().then(function (p) { var e = new Error(p.detail); e.problem = p; throw e; });
      return r.text();
    });
  }

  function fieldsOf(form) {
    var fields = { service: chosen.service, reason: chosen.reason };
    new FormData(form).forEach(function (value, key) { fields[key] = value; });
    return fields;
  }

  function failed(err, button) {
    if (button) button.disabled = false;
    showError(err.problem || { detail: "The kiosk could not reach the branch system", hint: "Please ask a member of staff" });
  }

  kiosk.addEventListener("click", function (ev) {
    var t = ev.target.closest("button");
    if (!t) return;
    if (t.classList.contains("reason")) {
      chosen = { service: t.dataset.service, reason: t.dataset.reason };
      kiosk.querySelector(".chosen").textContent = t.dataset.reason || t.textContent;
      show("how");
    } else if (t.classList.contains("go")) {
      show(t.dataset.go);
    } else if (t.classList.contains("restart") || t.classList.contains("restart-now")) {
      restart();
    } else if (t.classList.contains("camera")) {
      scan(t.closest("form"));
    }
  });

  kiosk.addEventListener("submit", function (ev) {
    var form = ev.target;
    ev.preventDefault();
    hideError();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    if (form.classList.contains("kiosk-phone")) {
      post("/phone-code", fieldsOf(form)).then(function (html) {
        button.disabled = false;
        kiosk.querySelector('.step[data-step="otp"]').innerHTML = html;  // rendered and escaped by the server
        show("otp");
      }).catch(function (e) { failed(e, button); });
      return;
    }
    var fields = fieldsOf(form);
    fields.way = form.dataset.way;
    post("/checkin", fields).then(function (html) {
      button.disabled = false;
      kiosk.querySelector('.step[data-step="done"]').innerHTML = html;  // rendered and escaped by the server
      show("done");
    }).catch(function (e) {
      failed(e, button);
      var input = form.querySelector("input:not([type=hidden])");
      if (input) { input.select(); input.focus(); }
    });
  });

  // A camera, where the browser can read QR codes itself; a scanner that types works anywhere.
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    kiosk.querySelectorAll(".camera").forEach(function (b) { b.hidden = false; });
  }
  function scan(form) {
    var video = form.querySelector(".camera-view");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var tries = 0;
      (function look() {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            video.hidden = true;
            form.querySelector("input[name=code]").value = codes[0].rawValue;
            form.requestSubmit();
          } else if (++tries < 300) {
            setTimeout(look, 200);
          } else {
            stream.getTracks().forEach(function (track) { track.stop(); });
            video.hidden = true;
          }
        });
      })();
    }).catch(function () { showError({ detail: "The camera is not available", hint: "Type the code under the QR code instead" }); });
  }
})();
