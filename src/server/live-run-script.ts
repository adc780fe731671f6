// The live run page's script, run in the browser after the inline vega and vega-lite builds:
// draws the charts of what is stored so far and, while the run is running, subscribes to
// /api/runs/ID/events (server-sent events): on each new event it updates the counter and the
// latest line and re-fetches /api/runs/ID to redraw the charts. When the stream says the run
// ended it closes the stream and reloads once (the page is then the report, or the final view).
// A run already ended (complete, interrupted, failed) is never followed: no stream, no reload.
// A stream that fails (a `failure` event) or keeps failing to connect is closed, not retried
// forever. Marks <body data-charts="drawn"> after each complete drawing.

export const LIVE_RUN_SCRIPT = `(function () {
  var run = JSON.parse(document.getElementById('batchwise-run').textContent);
  var charts = JSON.parse(document.getElementById('batchwise-charts').textContent);
  var base = '/api/runs/' + encodeURIComponent(run.id);
  var count = run.eventCount;

  function text(id, value) { document.getElementById(id).textContent = String(value); }

  // Each chart keeps its section; a chart whose spec changed is drawn off-page and swapped in
  // once drawn, so that the page never flickers empty between two drawings.
  var drawn = {};
  function draw(list) {
    var host = document.getElementById('charts');
    var runs = list.map(function (chart) {
      var key = JSON.stringify(chart.spec || chart.reason);
      var state = drawn[chart.id];
      if (state && state.key === key) return Promise.resolve();
      if (!state) {
        var section = document.createElement('section');
        section.className = 'chart';
        section.setAttribute('data-chart', chart.id);
        var h = document.createElement('h2');
        h.textContent = chart.title;
        var caption = document.createElement('p');
        caption.className = 'caption';
        caption.textContent = chart.caption;
        section.appendChild(h);
        section.appendChild(caption);
        host.appendChild(section);
        state = drawn[chart.id] = { section: section, body: null, view: null, key: null };
      }
      state.key = key;
      var swap = function (body, view) {
        if (state.view) state.view.finalize();
        if (state.body) state.section.replaceChild(body, state.body);
        else state.section.appendChild(body);
        state.body = body;
        state.view = view;
      };
      if (!chart.spec) {
        var empty = document.createElement('p');
        empty.className = 'empty';
        empty.id = 'chart-' + chart.id;
        empty.textContent = chart.reason;
        swap(empty, null);
        return Promise.resolve();
      }
      var container = document.createElement('div');
      container.className = 'chart-view';
      try {
        var view = new vega.View(vega.parse(vegaLite.compile(chart.spec).spec), {
          renderer: 'svg', container: container, hover: true
        });
        return view.runAsync().then(function () {
          if (state.key !== key) { view.finalize(); return; }
          container.id = 'chart-' + chart.id;
          container.setAttribute('data-drawn', 'true');
          swap(container, view);
        });
      } catch (error) {
        container.id = 'chart-' + chart.id;
        container.textContent = 'This chart could not be drawn: ' + error.message;
        swap(container, null);
        console.error(error);
        return Promise.resolve();
      }
    });
    return Promise.all(runs).then(function () {
      document.body.setAttribute('data-charts', 'drawn');
    });
  }

  var fetching = false;
  var again = false;
  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(base).then(function (response) { return response.json(); }).then(function (view) {
      text('phase', view.phase);
      text('status', view.status);
      return draw(view.charts);
    }).catch(function () {}).then(function () {
      fetching = false;
      if (again) { again = false; refresh(); }
    });
  }

  draw(charts);
  if (run.status !== 'running') {
    // Final: nothing more will come, so nothing to follow (and nothing to reload).
    text('connection', 'ended');
    return;
  }
  // EventSource reconnects by itself after a dropped connection; give up after this many
  // failures in a row (a server gone for good), rather than retrying forever.
  var MAX_FAILURES = 10;
  var failures = 0;
  var source = new EventSource(base + '/events?after=' + run.lastSequence);
  function stop(state) {
    source.close();
    text('connection', state);
  }
  source.onopen = function () { failures = 0; text('connection', 'live'); };
  source.onerror = function () {
    failures++;
    if (source.readyState === EventSource.CLOSED || failures >= MAX_FAILURES) {
      stop('disconnected (reload the page to retry)');
    } else {
      text('connection', 'reconnecting');
    }
  };
  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    count++;
    text('event-count', count);
    text('latest', event.line);
    refresh();
  };
  source.addEventListener('failure', function (message) {
    var failure = JSON.parse(message.data);
    stop('stopped: ' + failure.message);
  });
  var ended = false;
  source.addEventListener('end', function (message) {
    stop('ended');
    if (ended) return;
    ended = true;
    var end = JSON.parse(message.data);
    text('status', end.status);
    // Once: the reloaded page shows a final run, which is not followed.
    location.reload();
  });
})();`;
