// The report's own embed code, run in the browser after the inline vega and vega-lite builds:
// compiles each Vega-Lite spec and draws it as SVG into its container; a chart that fails says
// so in place. Marks <body data-charts="drawn"> when every chart is drawn.

export const EMBED_SCRIPT = `(function () {
  var specs = JSON.parse(document.getElementById('batchwise-chart-specs').textContent);
  var runs = specs.map(function (entry) {
    var container = document.getElementById('chart-' + entry.id);
    try {
      var compiled = vegaLite.compile(entry.spec).spec;
      var view = new vega.View(vega.parse(compiled), {
        renderer: 'svg', container: container, hover: true
      });
      return view.runAsync().then(function () { container.setAttribute('data-drawn', 'true'); });
    } catch (error) {
      container.textContent = 'This chart could not be drawn: ' + error.message;
      console.error(error);
      return Promise.resolve();
    }
  });
  Promise.all(runs).then(function () { document.body.setAttribute('data-charts', 'drawn'); });
})();`;
