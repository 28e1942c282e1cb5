/* The selection matrix's own part: kam's chart embedder (web/charts.js) draws it; on each
   drawing this keeps the one live view (finalizing the one an htmx swap replaced), exposes
   it to the page's tests as window.kamMatrixView and notes what the chart shows on the
   element (points, axis, size, trails). */
(function () {
  "use strict";
  var current = null;
  document.addEventListener("kam:chart", function (event) {
    var el = event.target;
    if (!el.matches("[data-matrix]")) { return; }
    var result = event.detail.result;
    var data = event.detail.data;
    if (current && current !== result) { current.finalize(); }
    current = result;
    window.kamMatrixView = result.view;
    el.setAttribute("data-points", String(data.points));
    el.setAttribute("data-axis", data.axis);
    el.setAttribute("data-size", data.size || "revenue");
    el.setAttribute("data-trails", data.trails ? "true" : "false");
  });
})();
