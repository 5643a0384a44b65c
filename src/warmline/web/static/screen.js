// The waiting-room screen: the tickets called, live over Server-Sent Events (rendered and
// escaped by the server; this only places them).
(function () {
  "use strict";
  var screen = document.getElementById("screen");
  if (!screen) return;
  var calls = document.getElementById("calls");
  var dot = screen.querySelector(".live-dot");
  function connect() {
    var source = new EventSource("/branch/" + encodeURIComponent(screen.dataset.branch) + "/screen/stream");
    source.onopen = function () { dot.classList.add("on"); };
    source.addEventListener("calls", function (ev) {
      var before = calls.querySelector(".called-ticket");
      calls.innerHTML = JSON.parse(ev.data).html;
      var now = calls.querySelector(".called-ticket");
      if (now && (!before || before.dataset.ticket !== now.dataset.ticket)) now.classList.add("fresh");
    });
    source.addEventListener("signed_out", function () { source.close(); window.location.assign("/branch/sign-in"); });
    source.onerror = function () {
      dot.classList.remove("on");
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }
  connect();
})();
