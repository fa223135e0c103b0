// The reports page: each figure's chart drawn with the vendored uPlot from the data the server put in
// data-chart (the same rows as the table beside it, which stays). Without JavaScript, or when uPlot
// cannot draw, the page keeps its <progress> bars. The keyboard moves along the values (left/right,
// Home/End) and each is read out in a polite live region under the chart.
(function () {
  "use strict";
  if (typeof window.uPlot === "undefined") { return; }
  var uPlot = window.uPlot;
  // blue 8.6:1 and brown 6.9:1 against white; the second series is also dashed, so no figure is told
  // apart by colour alone
  var COLOURS = ["#1d4f91", "#8a4b00"];
  var DASHES = [[], [6, 4]];
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var shown = function (value) { return value === null || value === undefined ? "—" : numbers.format(value); };
  var shorten = function (text, length) { return text.length > length ? text.slice(0, length - 1) + "…" : text; };
  var heightFor = function () { return window.matchMedia("(max-width: 40rem)").matches ? 220 : 260; };

  function draw(holder) {
    var spec = JSON.parse(holder.getAttribute("data-chart"));
    var plot = holder.querySelector(".chart__plot");
    var readout = holder.querySelector(".chart__readout");
    var labels = spec.labels;
    var bars = spec.kind === "bar";
    var grouped = bars && spec.series.length > 1;
    var xs = labels.map(function (_label, index) { return index; });
    var longest = labels.reduce(function (most, label) { return Math.max(most, label.length); }, 1);
    holder.hidden = false; // measured only once shown
    var series = [{ label: spec.label, value: function (_u, index) { return index === null ? "" : labels[index]; } }];
    spec.series.forEach(function (one, position) {
      var colour = COLOURS[position % COLOURS.length];
      var drawn = { label: one.label, stroke: colour, width: 2, dash: DASHES[position % DASHES.length],
        value: function (_u, value) { return shown(value); } };
      if (bars) {
        drawn.fill = colour;
        drawn.paths = uPlot.paths.bars({ size: [grouped ? 0.4 : 0.7, 64], align: grouped ? (position ? 1 : -1) : 0 });
        drawn.points = { show: false };
      } else {
        drawn.points = { show: true, size: 6, fill: colour };
      }
      series.push(drawn);
    });
    var chart = new uPlot({
      width: plot.clientWidth || 320,
      height: heightFor(),
      series: series,
      legend: { live: true },
      cursor: { drag: { x: false, y: false }, points: { size: 8 } },
      scales: {
        x: { time: false, range: function () { return [-0.5, Math.max(labels.length - 0.5, 0.5)]; } },
        y: { range: function (_u, _min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }
      },
      axes: [
        { space: Math.min(Math.max(longest, 4), 14) * 8, incrs: [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000],
          values: function (_u, splits) {
            return splits.map(function (split) {
              return Number.isInteger(split) && labels[split] !== undefined ? shorten(labels[split], 14) : "";
            });
          } },
        { values: function (_u, splits) { return splits.map(function (split) { return Number.isInteger(split) ? shown(split) : ""; }); } }
      ]
    }, [xs].concat(spec.series.map(function (one) { return one.values; })), plot);

    var at = -1;
    function read(index) {
      at = Math.max(0, Math.min(labels.length - 1, index));
      var highest = spec.series.reduce(function (most, one) { return Math.max(most, one.values[at] || 0); }, 0);
      chart.setCursor({ left: chart.valToPos(at, "x"), top: chart.valToPos(highest, "y") });
      readout.textContent = labels[at] + ": " + spec.series.map(function (one) {
        return one.label + " " + shown(one.values[at]);
      }).join(", ") + " (" + (at + 1) + "/" + labels.length + ")";
    }
    plot.addEventListener("keydown", function (event) {
      var moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: labels.length - 1 };
      if (!(event.key in moves)) { return; }
      event.preventDefault();
      read(at < 0 && event.key !== "End" ? 0 : moves[event.key]);
    });
    plot.addEventListener("focus", function () { if (at < 0) { read(0); } });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        chart.setSize({ width: plot.clientWidth || 320, height: heightFor() });
        if (at >= 0) { read(at); }
      }).observe(plot);
    }
    return chart;
  }

  Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), function (holder) {
    var fallback = holder.parentNode.querySelector(".bar-chart");
    try {
      draw(holder);
      if (fallback) { fallback.hidden = true; }
    } catch (error) {
      holder.hidden = true; // the <progress> bars stay
      if (window.console) { window.console.error(error); }
    }
  });
}());
