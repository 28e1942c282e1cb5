/* Economics charts: each [data-econ-chart] element names the <script type="application/json">
   that holds its Vega-Lite spec (Django's json_script); vega-embed draws it with the Vega
   bundle kam serves (no CDN). */
(function () {
  "use strict";
  // The spec carries the language's d3 locale (config.locale, kam.web.formats); vega-embed
  // gets it too, so numbers and months read as on the page (1.234,5 and "dec" in Dutch).
  function withLocale(spec, options) {
    var locale = (spec && spec.config && spec.config.locale) || {};
    if (locale.number) { options.formatLocale = locale.number; }
    if (locale.time) { options.timeFormatLocale = locale.time; }
    return options;
  }
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-econ-chart"));
    if (!source || typeof window.vegaEmbed !== "function") { return; }
    var spec = JSON.parse(source.textContent);
    window.vegaEmbed(el, spec, withLocale(spec, { actions: false, renderer: "svg", ast: true })).then(function () {
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
