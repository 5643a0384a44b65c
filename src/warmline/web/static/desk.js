// Warmline agent desk: live contacts over Server-Sent Events; every fragment comes
// rendered (and escaped) from the server, so this script only places it on the page.
(function () {
  "use strict";

  function signIn() { window.location.assign("/desk/sign-in"); }

  // Every desk request carries the header that marks it as one (the server refuses desk
  // changes without it) and comes back as text; a problem's detail becomes the error.
  function request(url, init) {
    init.credentials = "same-origin";
    init.headers = Object.assign({ "X-Desk-Fragment": "1" }, init.headers || {});
    return fetch(url, init).then(function (r) {
      if (r.status === 401) { signIn(); throw new Error("signed out"); }
      if (!r.ok) return r.json().then(function (p) { throw new Error(p.detail || "request failed"); });
      return r.text();
    });
  }

  function load(url) { return request(url, {}); }

  // Possible duplicates: the agent records the customer's answer from the card, a
  // supervisor approves or rejects on the review page.
  function send(url, fields) {
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString()
    });
  }

  // An error as a line of text (never interpreted as HTML), added to or replacing a panel.
  function errorLine(err) {
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = err.message;
    return p;
  }
  function failed(where, err) { where.appendChild(errorLine(err)); }
  function showError(panel, err) { panel.replaceChildren(errorLine(err)); }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("button");
    if (!t) return;
    var item = t.closest(".suggestion");
    if (!item) return;
    var id = encodeURIComponent(item.dataset.suggestionId);
    if (t.classList.contains("answer-suggestion")) {
      var ask = t.closest(".ask");
      ask.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      send("/desk/suggestions/" + id + "/answer", { answer: t.dataset.answer }).then(function (html) {
        ask.outerHTML = html;
      }).catch(function (e) { failed(ask, e); });
    } else if (t.classList.contains("decide-suggestion")) {
      item.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      send("/desk/suggestions/" + id + "/decide", { decision: t.dataset.decision }).then(function (html) {
        item.outerHTML = html;
      }).catch(function (e) {
        failed(item, e);
        item.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
    }
  });

  // Warm handover and continuation codes on a live contact: the forms post to the desk and
  // the answer (rendered, escaped) takes the form's place; errors show beside it.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.classList.contains("draft-form")) {
      ev.preventDefault();
      var id = form.querySelector("input[name=interaction_id]").value;
      send("/desk/knowledge/drafts", { interaction_id: id }).then(function (html) {
        form.outerHTML = html;
      }).catch(function (e) { failed(form, e); });
      return;
    }
    if (form.classList.contains("outreach-form")) {
      ev.preventDefault();
      var item = form.closest(".risk-item");
      var said = {};
      new FormData(form).forEach(function (value, key) { said[key] = value; });
      form.querySelector("button").disabled = true;
      send("/desk/at-risk/" + encodeURIComponent(form.dataset.customerId) + "/outreach", said).then(function (html) {
        form.outerHTML = html;
        item.classList.add("done");
      }).catch(function (e) { failed(form, e); form.querySelector("button").disabled = false; });
      return;
    }
    if (form.classList.contains("form-link")) {
      ev.preventDefault();
      var made = form.querySelector("p.error");
      if (made) made.remove();
      form.querySelector("button").disabled = true;
      send("/desk/customers/" + encodeURIComponent(form.dataset.customerId) + "/forms/" + encodeURIComponent(form.dataset.form) + "/link",
        { interaction_id: form.dataset.interactionId }).then(function (html) {
        form.outerHTML = html;
      }).catch(function (e) { failed(form, e); form.querySelector("button").disabled = false; });
      return;
    }
    if (form.classList.contains("reveal-form")) {
      ev.preventDefault();
      var reason = form.querySelector("input[name=reason]").value;
      var article = form.closest(".review-item");
      send("/desk/suggestions/" + encodeURIComponent(form.dataset.suggestionId) + "/reveal", { reason: reason }).then(function (html) {
        article.outerHTML = html;
      }).catch(function (e) { failed(form, e); });
      return;
    }
    var kind = form.classList.contains("handover-form") ? "handover"
      : form.classList.contains("continuation-form") ? "continuation" : null;
    if (!kind) return;
    ev.preventDefault();
    var old = form.querySelector("p.error");
    if (old) old.remove();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var fields = {};
    new FormData(form).forEach(function (value, key) { fields[key] = value; });
    send("/desk/interactions/" + encodeURIComponent(form.dataset.interactionId) + "/" + kind, fields).then(function (html) {
      form.outerHTML = html;
    }).catch(function (e) { failed(form, e); button.disabled = false; });
  });

  var desk = document.getElementById("desk");
  if (!desk) return;
  var list = document.getElementById("contact-list");
  var cardPanel = document.getElementById("card-panel");
  var timelinePanel = document.getElementById("timeline-panel");
  var conversationPanel = document.getElementById("conversation-panel");
  var searchPanel = document.getElementById("search-results");
  var live = document.getElementById("live");

  // What another customer left on screen goes when a card opens: the highlighted contact,
  // the open conversation, the timeline and the live watch of their contact.
  function clearContext(keepItem) {
    Array.prototype.forEach.call(list.children, function (li) {
      if (li !== keepItem) li.classList.remove("active");
    });
    stopWatchingNow();
    stopWatching();
    conversationPanel.hidden = true;
    conversationPanel.replaceChildren();
    desk.classList.remove("has-conversation");
    timelinePanel.hidden = true;
    timelinePanel.replaceChildren();
  }

  function showCard(html) {
    cardPanel.innerHTML = html;  // rendered and escaped by the server
    var now = cardPanel.querySelector("section.now");
    if (now && now.dataset.live === "yes") watchNow(now);
  }

  function openContact(item) {
    clearContext(item);
    item.classList.add("active");
    load("/desk/contact/" + encodeURIComponent(item.dataset.pushId)).then(showCard)
      .catch(function (e) { showError(cardPanel, e); });
  }

  // A live conversation's new messages, each appended once to ``messages`` (its cursor kept
  // for a reconnect); ``box`` holds its "no messages yet" line.
  function appendMessages(source, messages, box) {
    source.addEventListener("message", function (ev) {
      var data = JSON.parse(ev.data);
      messages.dataset.after = data.after;
      if (messages.querySelector('[data-message-id="' + data.id + '"]')) return;
      var empty = box.querySelector(".no-messages");
      if (empty) empty.remove();
      messages.insertAdjacentHTML("beforeend", data.html);  // rendered and escaped by the server
      messages.lastElementChild.classList.add("new");
    });
  }

  // The contact happening now stays live on its card: the customer's words as they arrive,
  // the likely reason they point to, and the card's actions gone once the contact ends.
  var watchingNow = null;
  function stopWatchingNow() { if (watchingNow) { watchingNow.close(); watchingNow = null; } }

  function watchNow(section) {
    stopWatchingNow();
    var messages = section.querySelector("ol.now-messages");
    var url = "/desk/conversation/" + encodeURIComponent(section.dataset.interactionId) +
      "/stream?with_card=true&after=" + encodeURIComponent(messages.dataset.after || "");
    var source = watchingNow = new EventSource(url);
    appendMessages(source, messages, section);
    source.addEventListener("mood", function (ev) {
      var mood = section.querySelector(".now-mood");
      if (mood) mood.innerHTML = '<span class="label">In this contact</span> ' + JSON.parse(ev.data).html;
    });
    source.addEventListener("reasons", function (ev) {
      // What their words point to, and the articles for it: rendered and escaped by the server.
      var data = JSON.parse(ev.data);
      var reasons = cardPanel.querySelector(".likely-reasons");
      if (reasons) reasons.outerHTML = data.html;
      var articles = cardPanel.querySelector("section.articles");
      if (articles) articles.outerHTML = data.articles;
    });
    source.addEventListener("ended", function () {
      stopWatchingNow();
      var active = list.querySelector(".contact-item.active");
      if (active) openContact(active);  // the card as it is now: ended, without live actions
    });
    source.addEventListener("signed_out", function () { stopWatchingNow(); signIn(); });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED && watchingNow === source) {
        setTimeout(function () { if (document.body.contains(section)) watchNow(section); }, 1000);
      }
    };
  }

  // Accepting a handover: the note says so at once, then the card reloads so its actions
  // (hand it on, a continuation code) fit the contact as it is now.
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("button.accept-handover");
    if (!t) return;
    var note = t.closest(".handover-note");
    t.disabled = true;
    send("/desk/handovers/" + encodeURIComponent(note.dataset.handoverId) + "/accept", {}).then(function (html) {
      note.outerHTML = html;
      var active = list.querySelector(".contact-item.active");
      if (active) openContact(active);
    }).catch(function (e) { failed(note, e); t.disabled = false; });
  });

  function openCustomer(id) {
    searchPanel.hidden = true;
    clearContext(null);
    load("/desk/card/" + encodeURIComponent(id)).then(function (html) {
      showCard(html);
      cardPanel.scrollIntoView({ block: "start" });
    }).catch(function (e) { showError(cardPanel, e); });
  }

  function openTimeline(id, cursor) {
    var url = "/desk/timeline/" + encodeURIComponent(id) + (cursor ? "?cursor=" + encodeURIComponent(cursor) : "");
    return load(url).then(function (html) {
      if (!cursor) {
        timelinePanel.innerHTML = "<h3>Timeline</h3>";
        timelinePanel.hidden = false;
        timelinePanel.scrollIntoView({ block: "start" });  // it opens below the card
      } else {
        var more = timelinePanel.querySelector(".load-more");
        if (more) more.remove();
      }
      timelinePanel.insertAdjacentHTML("beforeend", html);
    }).catch(function (e) { showError(timelinePanel, e); timelinePanel.hidden = false; });
  }

  // An open interaction's conversation follows new messages as they arrive.
  var watching = null;
  function stopWatching() { if (watching) { watching.close(); watching = null; } }

  function watch(list) {
    stopWatching();
    if (list.dataset.live !== "yes") return;
    var url = "/desk/conversation/" + encodeURIComponent(list.dataset.interactionId) +
      "/stream?after=" + encodeURIComponent(list.dataset.after || "");
    var source = watching = new EventSource(url);
    appendMessages(source, list, conversationPanel);
    source.addEventListener("mood", function (ev) {
      var mood = document.getElementById("conversation-mood");
      if (mood) mood.innerHTML = JSON.parse(ev.data).html;  // rendered and escaped by the server
    });
    source.addEventListener("ended", function () { list.dataset.live = "no"; stopWatching(); });
    source.addEventListener("signed_out", function () { stopWatching(); signIn(); });
    source.onerror = function () {
      // Reconnect from the last message we have, so nothing is shown twice or missed.
      if (source.readyState === EventSource.CLOSED && watching === source) setTimeout(function () { watch(list); }, 1000);
    };
  }

  // An article opens beside the card, where a conversation would (it is read, not watched).
  function openArticle(id) {
    stopWatching();
    load("/desk/articles/" + encodeURIComponent(id)).then(function (html) {
      conversationPanel.innerHTML = html;  // rendered and cleaned by the server
      conversationPanel.hidden = false;
      desk.classList.add("has-conversation");
      conversationPanel.scrollIntoView({ block: "nearest" });
    }).catch(function (e) { showError(conversationPanel, e); });
  }

  function openConversation(id) {
    load("/desk/conversation/" + encodeURIComponent(id)).then(function (html) {
      conversationPanel.innerHTML = html;
      conversationPanel.hidden = false;
      desk.classList.add("has-conversation");
      conversationPanel.scrollIntoView({ block: "nearest" });
      watch(conversationPanel.querySelector("ol.messages"));
    }).catch(function (e) { showError(conversationPanel, e); });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("button");
    if (!t) return;
    if (t.classList.contains("contact-open")) openContact(t.closest(".contact-item"));
    else if (t.classList.contains("open-customer")) openCustomer(t.dataset.customerId);
    else if (t.classList.contains("open-timeline")) openTimeline(t.dataset.customerId);
    else if (t.classList.contains("load-more")) { t.disabled = true; openTimeline(t.dataset.customerId, t.dataset.cursor); }
    else if (t.classList.contains("open-conversation")) openConversation(t.dataset.interactionId);
    else if (t.classList.contains("open-article")) openArticle(t.dataset.articleId);
    else if (t.classList.contains("article-feedback")) {
      var said = t.closest(".article-said");
      said.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      send("/desk/articles/" + encodeURIComponent(t.dataset.articleId) + "/feedback", {
        reason: t.dataset.reason, helped: t.dataset.helped, interaction_id: t.dataset.interactionId
      }).then(function (html) { said.outerHTML = html; })
        .catch(function (e) { failed(said, e); said.querySelectorAll("button").forEach(function (b) { b.disabled = false; }); });
    }
    else if (t.classList.contains("close-conversation")) { stopWatching(); conversationPanel.hidden = true; desk.classList.remove("has-conversation"); }
    else if (t.classList.contains("dismiss-notice")) {
      var notices = document.getElementById("notices");
      t.closest(".notice").remove();
      if (!notices.querySelector(".notice")) notices.hidden = true;
    }
  });

  function search(q, offset) {
    load("/desk/search?q=" + encodeURIComponent(q) + "&offset=" + encodeURIComponent(offset || 0)).then(function (html) {
      searchPanel.innerHTML = html;
      searchPanel.hidden = false;
      searchPanel.scrollIntoView({ block: "nearest" });
    }).catch(function (e) { showError(searchPanel, e); searchPanel.hidden = false; });
  }

  document.getElementById("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = document.getElementById("search").value.trim();
    if (!q) { searchPanel.hidden = true; return; }
    search(q, 0);
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("button.search-page");
    if (t) search(t.dataset.q, t.dataset.offset);
  });

  // The branch counter: call next or a named ticket (the card comes by the live stream, as
  // a call's does), sit at a service point, end the visit.
  var branchBar = document.getElementById("branch-bar");
  var barShownAt = 0;
  function showBar(html) {
    branchBar.innerHTML = html;
    branchBar.hidden = !html.trim();
    barShownAt = Date.now();
  }
  function barError(err) {
    var line = branchBar.querySelector(".branch-error");
    if (!line) return;
    line.textContent = err.message;
    line.hidden = false;
    branchBar.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
  }
  function refreshBar() {
    if (branchBar.hidden) return;
    load("/desk/branch/bar").then(showBar).catch(function () { /* the next refresh tries again */ });
  }
  // The call answers with nothing: the card comes by the live stream, and the contact's
  // arrival refreshes the queue here; should the push be slow, the queue refreshes anyway.
  function callTicket(ticket) {
    var asked = Date.now();
    send("/desk/branch/call", { ticket: ticket || "" }).then(function () {
      setTimeout(function () { if (barShownAt < asked) refreshBar(); }, 1500);
    }).catch(barError);
  }
  function visitDone(box) {
    return function (html) { box.outerHTML = html; refreshBar(); };
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("button");
    if (!t) return;
    if (t.classList.contains("call-next")) { t.disabled = true; callTicket(""); }
    else if (t.classList.contains("call-this")) { t.disabled = true; callTicket(t.dataset.ticket); }
    else if (t.classList.contains("leave-point")) send("/desk/branch/leave", {}).then(showBar).catch(barError);
    else if (t.classList.contains("visit-no-show")) {
      var box = t.closest(".visit-box");
      t.disabled = true;
      send("/desk/visits/" + encodeURIComponent(t.dataset.visitId) + "/no-show", {}).then(visitDone(box))
        .catch(function (e) { failed(box, e); t.disabled = false; });
    }
  });
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.classList.contains("call-ticket-form")) {
      ev.preventDefault();
      callTicket(form.querySelector("input[name=ticket]").value);
    } else if (form.classList.contains("sit-form")) {
      ev.preventDefault();
      send("/desk/branch/sit", { at: form.querySelector("select[name=at]").value }).then(showBar).catch(barError);
    } else if (form.classList.contains("visit-finish-form") || form.classList.contains("link-visit-form")) {
      ev.preventDefault();
      var box = form.classList.contains("visit-finish-form") ? form.closest(".visit-box") : form;
      var action = form.classList.contains("visit-finish-form") ? "/finish" : "/link";
      var fields = {};
      new FormData(form).forEach(function (value, key) { fields[key] = value; });
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      send("/desk/visits/" + encodeURIComponent(form.dataset.visitId) + action, fields).then(visitDone(box))
        .catch(function (e) { failed(form, e); button.disabled = false; });
    }
  });
  setInterval(refreshBar, 10000);

  function connect() {
    var source = new EventSource("/desk/stream?after=" + encodeURIComponent(desk.dataset.lastPush || "0"));
    source.onopen = function () { live.classList.add("on"); live.textContent = "live"; };
    source.addEventListener("contact", function (ev) {
      var data = JSON.parse(ev.data);
      desk.dataset.lastPush = String(data.push_id);
      if (list.querySelector('[data-push-id="' + data.push_id + '"]')) return;
      list.insertAdjacentHTML("afterbegin", data.html);
      var item = list.firstElementChild;
      item.classList.add("new");
      document.getElementById("no-contacts").hidden = true;
      // A contact just pushed brings its card (read and audited for this desk): no second
      // request. An appointment arriving does not take the place of the customer on screen.
      if (data.card) {
        clearContext(item);
        item.classList.add("active");
        showCard(data.card);
      } else if (item.dataset.kind !== "arrival" || !cardPanel.querySelector(".card")) {
        openContact(item);
      }
      refreshBar();
    });
    // A handover this desk sent was accepted: say so at the top, live.
    source.addEventListener("notice", function (ev) {
      var data = JSON.parse(ev.data);
      desk.dataset.lastPush = String(data.push_id);
      var notices = document.getElementById("notices");
      if (notices.querySelector('[data-push-id="' + data.push_id + '"]')) return;
      notices.insertAdjacentHTML("afterbegin", data.html);
      notices.hidden = false;
      // The sent note may be on screen still: mark it accepted there too.
      var notice = notices.firstElementChild;
      var id = notice.dataset.handoverId;
      document.querySelectorAll(".handover-note .handover-status").forEach(function (status) {
        if (status.closest(".handover-note").dataset.handoverId !== id) return;
        status.textContent = "accepted by " + notice.dataset.acceptedBy;
        status.className = "tag tag-ok handover-status";
      });
    });
    source.addEventListener("signed_out", function () { source.close(); signIn(); });
    source.onerror = function () {
      live.classList.remove("on");
      live.textContent = "reconnecting";
      // A closed stream (401: key revoked or session expired) does not retry by itself.
      if (source.readyState === EventSource.CLOSED) {
        fetch("/desk/ping", { credentials: "same-origin", headers: { "X-Desk-Fragment": "1" } }).then(function (r) {
          if (r.status === 401) signIn(); else setTimeout(connect, 1000);
        }).catch(function () { setTimeout(connect, 2000); });
      }
    };
  }
  connect();
})();
