/*
 * Lexbill charts: draws every <canvas data-chart="ID"> from the JSON in
 * <script type="application/json" id="ID"> (lexbill.reports.framework.Chart.as_json), with the
 * vendored Chart.js. Data only ever comes from those JSON blocks: the pages hold no inline
 * script, so a strict content security policy can forbid them.
 *
 * The charts are a display of figures the page's tables already print (exactly, as text);
 * amounts arrive as strings and are turned into numbers here only to be drawn.
 * No animation, so a screenshot taken once `canvas.dataset.drawn === "1"` is the final picture.
 */
(function () {
  "use strict";

  // Okabe–Ito: distinguishable with the common colour-vision deficiencies; yellow last
  // (weak on white).
  var PALETTE = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"
  ];
  var RIGHT_AXIS_UNIT = "%";
  var locale = document.documentElement.lang || "en";

  function colour(i, alpha) {
    var hex = PALETTE[i % PALETTE.length];
    if (alpha === undefined) {
      return hex;
    }
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function isCurrency(unit) {
    return /^[A-Z]{3}$/.test(unit || "");
  }

  /* Formatters by unit: compact on the axis ("$12K"), exact enough in tooltips ("$12,345.67"). */
  function formatter(unit, compact) {
    if (isCurrency(unit)) {
      var money;
      try {
        money = new Intl.NumberFormat(locale, {
          style: "currency",
          currency: unit,
          notation: compact ? "compact" : "standard",
          maximumFractionDigits: compact ? 1 : 2
        });
      } catch (e) {
        money = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
      }
      return function (v) { return money.format(v); };
    }
    var plain = new Intl.NumberFormat(locale, {
      notation: compact ? "compact" : "standard",
      maximumFractionDigits: compact ? 1 : 2
    });
    if (unit === "%") {
      return function (v) { return plain.format(v) + " %"; };
    }
    if (unit === "hours") {
      return function (v) { return plain.format(v) + " h"; };
    }
    if (unit === "days") {
      return function (v) { return plain.format(v) + " d"; };
    }
    return function (v) { return plain.format(v); };
  }

  function number(value) {
    if (value === null || value === undefined || value === "") {
      return null;
    }
    var n = Number(value);
    return isFinite(n) ? n : null;
  }

  function valueAxis(spec, unit, position, stacked) {
    var tick = formatter(unit, true);
    return {
      position: position,
      stacked: stacked,
      beginAtZero: true,
      title: { display: Boolean(unit), text: unit },
      ticks: { callback: function (v) { return tick(v); } },
      grid: { drawOnChartArea: position === "left" || position === "bottom" }
    };
  }

  function config(spec) {
    var round = spec.kind === "pie" || spec.kind === "doughnut";
    var horizontal = Boolean(spec.horizontal) && !round;
    var rightUsed = spec.datasets.some(function (d) { return d.axis === "right"; });
    var valueKey = horizontal ? "x" : "y";
    var rightKey = horizontal ? "x1" : "y1";
    var datasets = spec.datasets.map(function (d, i) {
      var kind = d.kind || spec.kind;
      var set = {
        label: d.label,
        data: d.values.map(number),
        type: kind,
        order: kind === "line" ? 0 : 1 // lines drawn over the bars
      };
      if (round) {
        set.backgroundColor = spec.labels.map(function (_l, j) { return colour(j); });
        set.borderColor = "#ffffff";
        return set;
      }
      set.backgroundColor = kind === "line" ? colour(i) : colour(i, 0.85);
      set.borderColor = colour(i);
      set.borderWidth = kind === "line" ? 2 : 1;
      if (kind === "bar") {
        set.maxBarThickness = 56; // one or two bars should not fill the whole chart
      }
      if (kind === "line") {
        set.pointRadius = 3;
        set.tension = 0;
        set.fill = false;
        set.stack = "line-" + i; // a line over stacked bars is never stacked onto them
      }
      if (d.axis === "right") {
        set[horizontal ? "xAxisID" : "yAxisID"] = rightKey;
      }
      return set;
    });
    var unit = spec.unit || "";
    var tooltipValue = formatter(unit, false);
    var rightValue = formatter(RIGHT_AXIS_UNIT, false);
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: horizontal ? "y" : "x",
      plugins: {
        legend: {
          display: round || datasets.length > 1,
          position: "bottom",
          // in the datasets' own order, whatever order they are drawn in
          labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } }
        },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var raw = ctx.raw;
              if (raw === null || raw === undefined) {
                return ctx.dataset.label + ": –";
              }
              var axisId = ctx.dataset.yAxisID || ctx.dataset.xAxisID;
              var text = axisId === rightKey ? rightValue(raw) : tooltipValue(raw);
              return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + text;
            }
          }
        }
      }
    };
    if (!round) {
      var stacked = Boolean(spec.stacked);
      var categoryKey = horizontal ? "y" : "x";
      options.scales = {};
      options.scales[categoryKey] = { stacked: stacked, grid: { display: false } };
      options.scales[valueKey] = valueAxis(spec, unit, horizontal ? "bottom" : "left", stacked);
      if (rightUsed) {
        options.scales[rightKey] = valueAxis(
          spec, RIGHT_AXIS_UNIT, horizontal ? "top" : "right", false
        );
      }
    }
    return { type: round ? spec.kind : "bar", data: { labels: spec.labels, datasets: datasets },
      options: options };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || canvas.dataset.drawn === "1") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var built = config(spec);
    if (spec.kind === "line") {
      built.type = "line";
    }
    new window.Chart(canvas, built);
    canvas.dataset.drawn = "1";
  }

  function drawAll() {
    if (!window.Chart) {
      return; // Chart.js failed to load: the tables below still hold every figure
    }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#343c4c";
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      try {
        draw(canvases[i]);
      } catch (e) {
        canvases[i].dataset.drawn = "error";
        if (window.console) {
          window.console.error("chart " + canvases[i].dataset.chart + ": " + e);
        }
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
