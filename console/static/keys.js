// Keyboard shortcuts: g q (queue), g s (search), / (search box), j/k (move), Enter (open).
(function () {
  "use strict";
  var pending = "";
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("tr.row")); };
  var current = -1;
  function select(index) {
    var list = rows();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    list[current].scrollIntoView({block: "nearest"});
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (pending === "g") {
      pending = "";
      if (event.key === "q") { window.location.href = "/queue"; }
      if (event.key === "s") { window.location.href = "/search"; }
      return;
    }
    if (event.key === "g") { pending = "g"; return; }
    if (event.key === "/") {
      var box = document.getElementById("search-box");
      if (box) { event.preventDefault(); box.focus(); } else { window.location.href = "/search"; }
    } else if (event.key === "j") { select(current + 1); }
    else if (event.key === "k") { select(current - 1); }
    else if (event.key === "Enter" && current >= 0) { window.location.href = rows()[current].getAttribute("data-href"); }
  });
}());
