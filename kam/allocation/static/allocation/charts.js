/* Charts of the year plan: embeds each [data-alloc-chart] element's Vega-Lite spec, fetched
   from its data-src, with the Vega bundle kam serves (no CDN), as the matrix does. A click on
   an account in the hours table points the response-curve chart at that account. */
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
  var views = new WeakMap();

  function embed(el) {
    var src = el.getAttribute("data-src");
    if (!src || typeof window.vegaEmbed !== "function") { return; }
    el.setAttribute("aria-busy", "true");
    el.removeAttribute("data-ready");
    fetch(src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var previous = views.get(el);
        if (previous) { previous.finalize(); }
        return window.vegaEmbed(el, data.spec, withLocale(data.spec, { actions: false, renderer: "svg", ast: true })).then(function (result) {
          views.set(el, result);
          el.setAttribute("data-ready", "true");
          el.removeAttribute("aria-busy");
        });
      })
      .catch(function () {
        el.removeAttribute("aria-busy");
        el.setAttribute("data-ready", "error");
        el.textContent = el.getAttribute("data-error") || "";
      });
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-alloc-chart]").forEach(function (el) {
      if (!el.hasAttribute("data-embedded")) { el.setAttribute("data-embedded", ""); embed(el); }
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-curve]");
    if (!link) { return; }
    var chart = document.querySelector("#curve [data-alloc-chart]");
    if (!chart) { return; }
    event.preventDefault();
    chart.setAttribute("data-src", link.getAttribute("data-curve"));
    embed(chart);
    document.getElementById("curve").scrollIntoView({ behavior: "smooth", block: "nearest" });
  });
  document.addEventListener("DOMContentLoaded", function () { scan(document.body); });
})();
