/* Economics charts: each [data-econ-chart] element names the <script type="application/json">
   that holds its Vega-Lite spec (Django's json_script); vega-embed draws it with the Vega
   bundle kam serves (no CDN). */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-econ-chart"));
    if (!source || typeof window.vegaEmbed !== "function") { return; }
    var spec = JSON.parse(source.textContent);
    window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function () {
      el.setAttribute("data-ready", "true");
    }).catch(function () {
      el.setAttribute("data-ready", "error");
      el.textContent = el.getAttribute("data-error") || "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-econ-chart]").forEach(draw);
  });
})();
