/* Draws the hub dashboard and the "my car" plan charts from JSON put in the page by Django
   (json_script). Without JavaScript the page shows the same numbers in its tables. */
(function () {
  "use strict";
  var hasChart = typeof Chart !== "undefined";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var colours = {
    pv: "#d08c00", homes: "#4d5a66", fleet: "#0a6b47", grid: "#1f5fa8",
    limit: "#a4161a", up: "#0a6b47", down: "#7a3e9d"
  };
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function baseOptions(yTitle) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      spanGaps: false,
      elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0.2 } },
      scales: {
        x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
        y: { title: { display: !!yTitle, text: yTitle || "" } }
      },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
    };
  }

  function line(label, data, colour, extra) {
    var set = { label: label, data: data, borderColor: colour, backgroundColor: colour, fill: false };
    for (var k in extra || {}) { set[k] = extra[k]; }
    return set;
  }

  function dayLabels(series) {
    // "Tue 14:15": the two days share the axis, so the day starts are marked.
    return series.labels.map(function (label, i) {
      for (var d = 0; d < series.days.length; d++) {
        if (series.days[d].first === i) { return series.days[d].label + " " + label; }
      }
      return label;
    });
  }

  function drawHub(series) {
    var t = series.text || {};
    var labels = dayLabels(series);
    var limit = series.labels.map(function () { return series.import_limit_kw; });
    new Chart(document.getElementById("chart-power"), {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          line(t.pv, series.pv_kw, colours.pv, { fill: "origin", backgroundColor: "rgba(208,140,0,0.18)" }),
          line(t.homes, series.base_load_kw, colours.homes),
          line(t.fleet, series.fleet_kw, colours.fleet),
          line(t.measured, series.measured_fleet_kw || [], colours.fleet, { borderDash: [2, 3], pointRadius: 1.5, spanGaps: false }),
          line(t.grid, series.grid_kw, colours.grid),
          line(t.limit, limit, colours.limit, { borderDash: [6, 4], borderWidth: 2 })
        ]
      },
      options: baseOptions("kW")
    });
    new Chart(document.getElementById("chart-flex"), {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: t.up, data: series.flex_up_kw, backgroundColor: colours.up },
          { label: t.down, data: series.flex_down_kw.map(function (v) { return v === null ? null : -v; }), backgroundColor: colours.down }
        ]
      },
      options: Object.assign(baseOptions("kW"), { scales: { x: { stacked: true, ticks: { maxTicksLimit: 8 } }, y: { stacked: true } } })
    });
    var priceCanvas = document.getElementById("chart-price");
    if (priceCanvas) {
      var priceOptions = baseOptions("");
      priceOptions.scales = {
        x: { ticks: { maxTicksLimit: 8 } },
        y: { position: "left", title: { display: true, text: "€/kWh" } },
        y1: { position: "right", min: 0, grid: { drawOnChartArea: false }, title: { display: true, text: "g/kWh" } }
      };
      new Chart(priceCanvas, {
        type: "line",
        data: {
          labels: labels,
          datasets: [
            line(t.price, series.price_eur_per_kwh || [], colours.grid, { yAxisID: "y", stepped: true }),
            line(t.carbon, series.carbon_g_per_kwh || [], colours.homes, { yAxisID: "y1", borderDash: [5, 3] })
          ]
        },
        options: priceOptions
      });
    }
    // The shared cars' charge is one small server-drawn SVG per car (no colours to tell apart).
  }

  function drawSession(plan) {
    var t = plan.text || {};
    var canvas = document.getElementById("chart-session");
    if (!canvas || !plan.labels.length) { return; }
    var existing = Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    var options = baseOptions("");
    options.scales = {
      x: { ticks: { maxTicksLimit: 6 } },
      y: { position: "left", title: { display: true, text: "kW" } },
      y1: { position: "right", min: 0, max: plan.battery_kwh, grid: { drawOnChartArea: false }, title: { display: true, text: "kWh" } }
    };
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: plan.labels,
        datasets: [
          { type: "bar", label: t.power, data: plan.power_kw, backgroundColor: colours.fleet, yAxisID: "y" },
          { type: "line", label: t.soc, data: plan.soc_kwh, borderColor: colours.grid, backgroundColor: colours.grid, yAxisID: "y1", pointRadius: 0 }
        ]
      },
      options: options
    });
  }

  function drawAll() {
    if (!hasChart) { return; }
    var hub = read("hub-series");
    if (hub && document.getElementById("chart-power")) { drawHub(hub); }
    var plan = read("session-plan");
    if (plan) { drawSession(plan); }
  }

  // Form errors come back as 422 with the re-rendered fragment: swap it in like a success.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  drawAll();
  // The "my car" card is swapped in place by htmx after a change: draw its new plan.
  document.body.addEventListener("htmx:afterSettle", function () {
    var plan = read("session-plan");
    if (plan && hasChart) { drawSession(plan); }
  });
})();
