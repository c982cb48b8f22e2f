// Times: the server writes each as <time datetime="UTC instant">server
// time</time>; they are shown in the viewer's time zone.
(function () {
  "use strict";
  function pad(n, w) { n = String(n); while (n.length < w) n = "0" + n; return n; }
  function localTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      el.textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1, 2) + "-" + pad(d.getDate(), 2) + " " +
        pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) + "." + pad(d.getMilliseconds(), 3);
      el.title = d.toString();
    });
  }
  window.burrLocalTimes = localTimes;
  localTimes(document);
})();

// Live updates of the application page: the server tails log.jsonl and
// sends, for each batch of new lines, the steps that changed (only those of
// the page shown; the newest page also takes new steps), the summary, and
// the graph and problems when they changed.
(function () {
  "use strict";
  var root = document.getElementById("app");
  if (!root || !root.dataset.events || !window.EventSource) return;
  var live = document.getElementById("live");
  var latest = /[?&]page=1(&|$)/.test(root.dataset.events);
  var perPage = 25;
  var received = 0;
  var es = new EventSource(root.dataset.events);
  es.onopen = function () {
    live.textContent = "live";
    live.className = "live on";
  };
  es.onerror = function () {
    live.textContent = "reconnecting…";
    live.className = "live";
  };

  // openState remembers which details of a step the reader opened.
  function openState(el) {
    var inner = el.querySelectorAll("details");
    return [el.open, Array.prototype.filter.call(inner, function (x) { return x.open; }).map(function (x) {
      return Array.prototype.indexOf.call(inner, x);
    })];
  }
  function restore(el, st) {
    el.open = el.open || st[0];
    var inner = el.querySelectorAll("details");
    st[1].forEach(function (i) { if (inner[i]) inner[i].open = true; });
  }

  // mergeSteps puts the steps of html (a "steps" fragment) in place of
  // their copies, or adds them in order of sequence id, newest first.
  function mergeSteps(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var box = document.querySelector("#steps .steps");
    var fresh = tpl.content.querySelector(".steps");
    if (!fresh) return;
    if (!box) {
      document.getElementById("steps").innerHTML = html;
      return;
    }
    Array.prototype.slice.call(fresh.children).forEach(function (el) {
      if (!el.classList.contains("step")) return;
      var old = document.getElementById(el.id);
      if (old && old.parentNode === box) {
        restore(el, openState(old));
        box.replaceChild(el, old);
        return;
      }
      var seq = Number(el.dataset.seq);
      var before = null;
      Array.prototype.some.call(box.querySelectorAll(":scope > .step"), function (x) {
        if (Number(x.dataset.seq) < seq) { before = x; return true; }
        return false;
      });
      box.insertBefore(el, before);
    });
    if (latest) {
      // The newest page keeps one page of steps.
      var all = box.querySelectorAll(":scope > .step");
      for (var i = perPage; i < all.length; i++) all[i].remove();
    }
  }

  es.addEventListener("update", function (ev) {
    var d = JSON.parse(ev.data);
    if (d.reset) {
      received = 0;
      latest = true;
      document.getElementById("steps").innerHTML = d.steps;
    } else if (d.steps) {
      mergeSteps(d.steps);
    }
    if (typeof d.pager === "string") document.getElementById("pager").innerHTML = d.pager;
    ["summary", "graph", "problems"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el && typeof d[id] === "string") el.innerHTML = d[id];
    });
    if (window.burrLocalTimes) window.burrLocalTimes(document);
    received += d.lines;
    live.textContent = "live · " + (d.reset ? "log replaced, reloaded · " : "") + received + " new line" + (received === 1 ? "" : "s");
    live.className = "live on";
    root.dataset.offset = d.offset;
  });
})();
