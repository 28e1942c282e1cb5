/* The selection matrix: embeds the chart spec from the data URL on the chart element with
   the Vega bundle kam serves (no CDN), canvas renderer, links open in the same tab.
   Runs on page load and again whenever htmx swaps in new matrix content. */
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
  var current = null;

  function embed(el) {
    var src = el.getAttribute("data-src");
    if (!src || typeof window.vegaEmbed !== "function" || el.hasAttribute("data-embedding")) { return; }
    el.setAttribute("data-embedding", "");
    el.setAttribute("aria-busy", "true");
    el.removeAttribute("data-ready");
    fetch(src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (current) { current.finalize(); current = null; }
        return window.vegaEmbed(el, data.spec, withLocale(data.spec, {
          actions: false,
          // Vega's expression interpreter instead of new Function(): the
          // Content-Security-Policy allows no eval (docs/operations.md).
          ast: true,
          renderer: "canvas",
          loader: { target: "_self" },
        })).then(function (result) {
          current = result;
          window.kamMatrixView = result.view;
          el.setAttribute("data-points", String(data.points));
          el.setAttribute("data-axis", data.axis);
          el.setAttribute("data-size", data.size || "revenue");
          el.setAttribute("data-trails", data.trails ? "true" : "false");
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
    if (root.matches && root.matches("[data-matrix-chart]")) { embed(root); }
    root.querySelectorAll("[data-matrix-chart]").forEach(embed);
  }

  // htmx is loaded with "defer", so it may not exist yet when this runs: listen for its
  // load event (fired for the body at start and for every swapped-in element) on the
  // document, and draw on DOMContentLoaded too; an element is embedded only once.
  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { scan(document.body); });
})();
