/* Zhengtong portal: small progressive enhancements. No inline handlers (CSP-friendly);
   every page works without this file. */
(function () {
  "use strict";

  // The phone menu: the header shows the brand and a button; the button opens the menu.
  var toggle = document.querySelector(".nav-toggle");
  var siteNav = document.getElementById("site-nav");
  if (toggle && siteNav) {
    document.body.classList.add("js-nav");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      siteNav.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (evt) {
      if (evt.key === "Escape" && siteNav.classList.contains("open")) {
        siteNav.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // htmx only on pages that use it (hx- attributes, or data-needs-htmx for pages calling it).
  // This file runs before DOMContentLoaded (defer), so htmx finds the page as if loaded normally;
  // processing the body again once it has loaded covers a late load (processing is idempotent).
  var htmxSrc = document.body.getAttribute("data-htmx-src");
  if (htmxSrc && document.querySelector("[hx-get],[hx-post],[hx-put],[hx-patch],[hx-delete],[hx-boost],[data-needs-htmx]")) {
    var tag = document.createElement("script");
    tag.src = htmxSrc;
    tag.onload = function () { if (window.htmx) { window.htmx.process(document.body); } };
    document.head.appendChild(tag);
  }

  // A table wider than the screen scrolls inside its .table-wrap: keyboard users reach it too
  // (focusable region named after the table's caption or the section's heading).
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          var named = wrap.querySelector("caption") || (wrap.closest("section, .panel") || document).querySelector("h2, h3");
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          if (named) { wrap.setAttribute("aria-label", named.textContent.trim()); }
        }
      } else if (wrap.getAttribute("role") === "region" && wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  scrollableTables();
  window.addEventListener("resize", scrollableTables);
  document.addEventListener("htmx:afterSwap", scrollableTables);

  // After a failed form submission, move focus to the first field in error (or the error summary).
  var invalid = document.querySelector("[aria-invalid=true], .has-error input, .has-error select, .has-error textarea");
  if (invalid && !document.querySelector("[autofocus]")) { invalid.focus(); }

  // htmx swaps only 2xx by default; the import view answers 422 with the error report.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // Upload progress for forms that name a <progress> element in data-progress.
  function progressFor(elt) {
    var form = elt && elt.closest ? elt.closest("form[data-progress]") : null;
    return form ? document.getElementById(form.getAttribute("data-progress")) : null;
  }
  function setProgress(bar, percent) {
    bar.value = percent;
    bar.setAttribute("aria-valuenow", String(percent));
    bar.textContent = percent + "%";
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var bar = progressFor(evt.target);
    if (bar) { setProgress(bar, 0); }
  });
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var bar = progressFor(evt.target);
    if (bar && evt.detail.lengthComputable && evt.detail.total > 0) {
      setProgress(bar, Math.round((evt.detail.loaded / evt.detail.total) * 100));
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var bar = progressFor(evt.target);
    if (bar) { setProgress(bar, 100); }
  });

  // Bar charts: <div data-chart-source="id-of-json-script" data-series-name="...">.
  function drawCharts() {
    if (typeof window.echarts === "undefined") { return; }
    var elder = document.body.classList.contains("elder");
    document.querySelectorAll("[data-chart-source]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart-source"));
      if (!source) { return; }
      var rows = JSON.parse(source.textContent);
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var fontSize = elder ? 18 : 13;
      chart.setOption({
        aria: { enabled: false },
        animation: false,
        color: ["#0b4f9c"],
        textStyle: { fontSize: fontSize, color: "#1a1a1a" },
        grid: { left: 8, right: 48, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "value", axisLabel: { fontSize: fontSize, color: "#1a1a1a" } },
        yAxis: {
          type: "category", inverse: true,
          data: rows.map(function (r) { return r.name; }),
          axisLabel: { fontSize: fontSize, color: "#1a1a1a" }
        },
        series: [{
          name: el.getAttribute("data-series-name") || "",
          type: "bar",
          data: rows.map(function (r) { return r.value; }),
          label: { show: true, position: "right", fontSize: fontSize, color: "#1a1a1a" }
        }]
      });
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  // Deferred scripts (echarts comes after this file) run before DOMContentLoaded.
  if (document.readyState === "complete") {
    drawCharts();
  } else {
    document.addEventListener("DOMContentLoaded", drawCharts);
  }
})();
