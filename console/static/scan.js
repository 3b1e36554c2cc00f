// Scanned letter: focusing a field of the record form highlights where it was read on the scan.
(function () {
  "use strict";
  function mark(field) {
    document.querySelectorAll(".scan-boxes rect").forEach(function (rect) {
      rect.classList.toggle("active", rect.getAttribute("data-field") === field);
    });
  }
  document.addEventListener("focusin", function (event) {
    var id = event.target.id || "";
    mark(id.indexOf("f-") === 0 ? id.slice(2) : "");
  });
})();
