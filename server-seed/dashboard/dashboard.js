import uPlot from './vendor/uPlot.esm.js';

// The site's dashboard: reads GET /stats every few seconds and draws what the swarm saved. Every figure on the
// page carries its raw number in data-value, so what is shown can be checked against /stats.
const REFRESH_MS = 5000;
/** Live samples kept: ten minutes at one per refresh. */
const LIVE_SAMPLES = 120;
const DAY = 86_400;
const COLORS = ['#2e7d5b', '#c0612b', '#4a6fa5', '#8e44ad', '#b8860b', '#1f8a99', '#a33b5f', '#5d6d7e'];

const status = document.getElementById('status');
const liveHistory = { times: [], bySwarm: new Map() };
let daysPlot;
let daysKey = '';
let livePlot;
let liveKey = '';

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export const formatShare = (share) => (Number.isFinite(share) ? `${(share * 100).toFixed(1)} %` : '–');

const formatters = {
  views: (n) => n.toLocaleString('en'),
  peers: (n) => n.toLocaleString('en'),
  watchSeconds: formatDuration,
  peerShare: formatShare,
};
const format = (key, value) => (formatters[key] ?? formatBytes)(value);

function figure(element, key, value) {
  element.dataset.value = String(value);
  element.textContent = format(key, value);
}

function cell(row, key, value) {
  const td = row.insertCell();
  td.dataset.key = key;
  if (key === 'peerShare') {
    td.dataset.value = String(value);
    const wrap = document.createElement('span');
    wrap.className = 'share';
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.style.width = `${Math.round(Math.min(1, Math.max(0, value)) * 100)}%`;
    bar.append(fill);
    const text = document.createElement('span');
    text.textContent = formatShare(value);
    wrap.append(bar, text);
    td.append(wrap);
  } else if (key === 'title' || key === 'rendition') {
    td.textContent = value;
  } else {
    figure(td, key, value);
  }
  return td;
}

function renderTotals(totals) {
  for (const element of document.querySelectorAll('[data-total]')) {
    const key = element.dataset.total;
    figure(element, key, totals?.[key] ?? 0);
  }
}

function renderTitles(titles) {
  const body = document.querySelector('#titles tbody');
  body.replaceChildren();
  for (const title of titles) {
    const row = body.insertRow();
    row.dataset.title = title.title;
    cell(row, 'title', title.title);
    for (const key of ['views', 'peerShare', 'p2pBytes', 'httpBytes', 'watchSeconds']) cell(row, key, title[key]);
  }
  document.getElementById('titles-empty').hidden = titles.length > 0;
}

function chartWidth(element) {
  return Math.max(280, Math.min(1100, element.clientWidth || document.body.clientWidth - 32));
}

function renderDays(days) {
  const element = document.getElementById('days-chart');
  document.getElementById('days-empty').hidden = days.length > 0;
  if (days.length === 0) {
    daysPlot?.destroy();
    daysPlot = undefined;
    daysKey = '';
    return;
  }
  const data = [
    days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
    days.map((d) => d.bytesSavedByPeers),
    days.map((d) => d.originBytes),
    days.map((d) => d.seederUploadBytes),
  ];
  const key = JSON.stringify(data);
  if (key === daysKey) return;
  daysKey = key;
  daysPlot?.destroy();
  const bars = uPlot.paths.bars({ size: [0.6, 60], align: 0 });
  const series = (label, color) => ({
    label,
    stroke: color,
    fill: `${color}cc`,
    width: 1,
    paths: bars,
    value: (_u, v) => (v == null ? '–' : formatBytes(v)),
    points: { show: false },
  });
  daysPlot = new uPlot(
    {
      width: chartWidth(element),
      height: 260,
      // A day either side, so a single day is a bar, not a point lost in a range of years.
      // (From the data: uPlot widens a one-point time range to years before asking.)
      scales: { x: { time: true, range: (u) => [u.data[0][0] - DAY, u.data[0][u.data[0].length - 1] + DAY] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [{ splits: (u) => u.data[0], values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(5, 10)) }, { values: (_u, ticks) => ticks.map(formatBytes), size: 70 }],
      series: [{ label: 'day', value: (_u, t) => (t == null ? '–' : new Date(t * 1000).toISOString().slice(0, 10)) }, series('saved by peers', '#2e7d5b'), series('origin', '#c0612b'), series('seeder', '#4a6fa5')],
    },
    data,
    element,
  );
}

function renderLive(swarms, now) {
  const body = document.querySelector('#live tbody');
  body.replaceChildren();
  const label = (s) => `${s.title ?? 'other'} · ${s.rendition ?? s.infoHash.slice(0, 8)}`;
  for (const swarm of swarms) {
    const row = body.insertRow();
    row.dataset.swarm = swarm.infoHash;
    cell(row, 'title', swarm.title ?? '(not in the collection)');
    cell(row, 'rendition', swarm.rendition ?? swarm.infoHash.slice(0, 12));
    cell(row, 'peers', swarm.peers);
  }
  document.getElementById('live-empty').hidden = swarms.length > 0;

  liveHistory.times.push(now / 1000);
  for (const series of liveHistory.bySwarm.values()) series.push(0);
  for (const swarm of swarms) {
    const name = label(swarm);
    let series = liveHistory.bySwarm.get(name);
    if (!series) {
      series = new Array(liveHistory.times.length).fill(null);
      liveHistory.bySwarm.set(name, series);
    }
    series[series.length - 1] = swarm.peers;
  }
  if (liveHistory.times.length > LIVE_SAMPLES) {
    liveHistory.times.shift();
    for (const series of liveHistory.bySwarm.values()) series.shift();
  }
  // A swarm that has had nobody for the whole window leaves the chart.
  for (const [name, series] of liveHistory.bySwarm) if (series.every((v) => !v)) liveHistory.bySwarm.delete(name);

  const element = document.getElementById('live-chart');
  const names = [...liveHistory.bySwarm.keys()];
  if (names.length === 0) {
    livePlot?.destroy();
    livePlot = undefined;
    liveKey = '';
    return;
  }
  const data = [liveHistory.times, ...names.map((n) => liveHistory.bySwarm.get(n))];
  const key = names.join('\n');
  if (livePlot && key === liveKey) {
    livePlot.setData(data);
    return;
  }
  liveKey = key;
  livePlot?.destroy();
  livePlot = new uPlot(
    {
      width: chartWidth(element),
      height: 200,
      scales: {
        x: { time: true, range: (u) => { const last = u.data[0][u.data[0].length - 1]; return [last - (LIVE_SAMPLES * REFRESH_MS) / 1000, last]; } },
        y: { range: (_u, _min, max) => [0, Math.max(2, max + 1)] },
      },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) }],
      series: [{}, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
    },
    data,
    element,
  );
}

async function refresh() {
  try {
    const response = await fetch('/stats', { cache: 'no-store' });
    if (!response.ok) throw new Error(`/stats answered HTTP ${response.status}`);
    const stats = await response.json();
    const counts = stats.counts;
    if (!counts) {
      status.textContent = 'Counting is off on this server (started with --no-counts): only live figures are shown.';
    } else {
      status.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    }
    delete status.dataset.error;
    renderTotals(counts?.totals);
    renderTitles(counts?.titles ?? []);
    renderDays(counts?.days ?? []);
    renderLive(stats.live?.swarms ?? [], Date.now());
    document.body.dataset.loaded = 'true';
  } catch (error) {
    status.textContent = `Cannot read the figures: ${error.message}`;
    status.dataset.error = '';
  }
}

function start() {
  void refresh();
  let timer = setInterval(refresh, REFRESH_MS);
  // A hidden tab does not poll.
  document.addEventListener('visibilitychange', () => {
    clearInterval(timer);
    if (document.visibilityState === 'visible') {
      void refresh();
      timer = setInterval(refresh, REFRESH_MS);
    }
  });
}

start();
