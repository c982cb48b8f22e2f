// Live updates of the application page: the server tails log.jsonl and
// sends each batch of new lines with the page's fragments rendered again.
(function () {
  "use strict";
  var root = document.getElementById("app");
  if (!root || !root.dataset.events || !window.EventSource) return;
  var live = document.getElementById("live");
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
  es.addEventListener("update", function (ev) {
    var d = JSON.parse(ev.data);
    // Keep open what the reader opened, unless the log was replaced: the
    // steps are then another run's, shown afresh.
    var open = [];
    if (d.reset) {
      received = 0;
    } else {
      document.querySelectorAll("#steps details[open]").forEach(function (el) {
        open.push([el.id, Array.prototype.map.call(el.querySelectorAll("details[open]"), function (x) {
          return Array.prototype.indexOf.call(el.querySelectorAll("details"), x);
        })]);
      });
    }
    ["summary", "steps", "graph", "problems"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el && typeof d[id] === "string") el.innerHTML = d[id];
    });
    open.forEach(function (o) {
      var el = document.getElementById(o[0]);
      if (!el) return;
      el.open = true;
      var inner = el.querySelectorAll("details");
      o[1].forEach(function (i) { if (inner[i]) inner[i].open = true; });
    });
    received += d.lines.length;
    live.textContent = "live · " + (d.reset ? "log replaced, reloaded · " : "") + received + " new line" + (received === 1 ? "" : "s");
    live.className = "live on";
    root.dataset.offset = d.offset;
  });
})();
