/* Thin helpers over ECharts so every page draws charts the same way, readable on a phone. */
(function (global) {
  "use strict";
  const charts = [];
  function make(id) {
    const element = document.getElementById(id);
    if (!element || !global.echarts) { return null; }
    const chart = global.echarts.init(element, null, {renderer: "canvas"});
    charts.push(chart);
    return chart;
  }
  function grid() { return {left: 8, right: 16, top: 40, bottom: 8, containLabel: true}; }
  const api = {
    line(id, labels, series, options) {
      const chart = make(id);
      if (!chart) { return null; }
      chart.setOption(Object.assign({
        tooltip: {trigger: "axis"},
        legend: {top: 0, type: "scroll"},
        grid: grid(),
        xAxis: {type: "category", data: labels, boundaryGap: false},
        yAxis: {type: "value", scale: true},
        series: series.map((s) => Object.assign({type: "line", smooth: true, showSymbol: labels.length < 40, name: s.name, data: s.values}, s.extra || {})),
      }, options || {}));
      return chart;
    },
    bar(id, labels, series, options) {
      const chart = make(id);
      if (!chart) { return null; }
      chart.setOption(Object.assign({
        tooltip: {trigger: "axis"},
        legend: {top: 0, type: "scroll"},
        grid: grid(),
        xAxis: {type: "category", data: labels, axisLabel: {interval: 0, rotate: labels.length > 6 ? 30 : 0}},
        yAxis: {type: "value"},
        series: series.map((s) => Object.assign({type: "bar", name: s.name, data: s.values, stack: s.stack}, s.extra || {})),
      }, options || {}));
      return chart;
    },
    pie(id, items, options) {  // counts inside the ring: outside labels do not fit a narrow card
      const chart = make(id);
      if (!chart) { return null; }
      chart.setOption(Object.assign({
        tooltip: {trigger: "item"},
        legend: {bottom: 0, type: "scroll"},
        series: [{type: "pie", radius: ["35%", "62%"], data: items, label: {position: "inside", formatter: "{c}", color: "#fff"}}],
      }, options || {}));
      return chart;
    },
  };
  global.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  global.scfCharts = api;
})(window);
