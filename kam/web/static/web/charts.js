/* kam's one chart embedder (docs/architecture.md): draws every [data-chart] element with
   vega-embed and the Vega bundle kam serves (no CDN). The spec comes either from the
   <script type="application/json"> whose id is the attribute's value (Django's json_script)
   or, for an empty value, from the JSON {spec, ...} at the element's data-src.
   data-renderer picks "canvas" (default "svg"); data-error is shown if drawing fails.
   Runs on page load and for every element htmx swaps in; an element is drawn once unless
   window.kamCharts.embed(el) draws it again (after its data-src changed).
   Before data-ready="true" is set, the element gets a "kam:chart" event whose detail holds
   the vega-embed result and the fetched data, for a page's own interaction code. */
(function () {
  "use strict";
  var views = new WeakMap();

  // The spec carries the language's d3 locale (config.locale, kam.web.formats); vega-embed
  // gets it too, so numbers and months read as on the page (1.234,5 and "dec" in Dutch).
  function options(el, spec) {
    var locale = (spec && spec.config && spec.config.locale) || {};
    var result = {
      actions: false,
      // Vega's expression interpreter instead of new Function(): the
      // Content-Security-Policy allows no eval (docs/operations.md).
      ast: true,
      renderer: el.getAttribute("data-renderer") || "svg",
      loader: { target: "_self" },
    };
    if (locale.number) { result.formatLocale = locale.number; }
    if (locale.time) { result.timeFormatLocale = locale.time; }
    return result;
  }

  function load(el) {
    var id = el.getAttribute("data-chart");
    if (id) {
      // In a promise, so that a missing or broken spec shows data-error like a failed fetch.
      return new Promise(function (resolve) {
        resolve({ spec: JSON.parse(document.getElementById(id).textContent) });
      });
    }
    return fetch(el.getAttribute("data-src"), {
      credentials: "same-origin", headers: { "Accept": "application/json" },
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function embed(el) {
    if (typeof window.vegaEmbed !== "function") { return; }
    if (!el.getAttribute("data-chart") && !el.getAttribute("data-src")) { return; }
    el.setAttribute("data-embedded", "");
    el.setAttribute("aria-busy", "true");
    el.removeAttribute("data-ready");
    load(el)
      .then(function (data) {
        var previous = views.get(el);
        if (previous) { previous.finalize(); views.delete(el); }
        return window.vegaEmbed(el, data.spec, options(el, data.spec)).then(function (result) {
          views.set(el, result);
          el.dispatchEvent(new CustomEvent("kam:chart", {
            bubbles: true, detail: { result: result, data: data },
          }));
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
    var found = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
    if (root.matches && root.matches("[data-chart]")) { found.unshift(root); }
    found.forEach(function (el) {
      if (!el.hasAttribute("data-embedded")) { embed(el); }
    });
  }

  // A link with data-chart-src points the chart matched by its data-chart-target at that
  // URL and draws it again (the year plan's response curve of the clicked account).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-chart-src]");
    if (!link) { return; }
    var chart = document.querySelector(link.getAttribute("data-chart-target"));
    if (!chart) { return; }
    event.preventDefault();
    chart.setAttribute("data-src", link.getAttribute("data-chart-src"));
    embed(chart);
    chart.scrollIntoView({ behavior: "smooth", block: "nearest" });
  });

  window.kamCharts = { embed: embed };
  // htmx is loaded with "defer", so it may not exist yet when this runs: listen for its
  // load event (fired for the body at start and for every swapped-in element) on the
  // document, and draw on DOMContentLoaded too; an element is embedded only once.
  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { scan(document.body); });
})();
