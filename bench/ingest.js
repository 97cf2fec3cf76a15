// k6 load for Bugtrack's envelope endpoint. Started by bench/run.py; see docs/performance.md.
//
// Pre-generated gzip bodies (bench/generate.py) are read from one file that k6 loads once
// and shares between VUs (k6/experimental/fs), so memory does not grow with the VU count.
// Each iteration sends the next body in order: event ids stay unique across the whole test.
//
// Environment: BENCH_URL, BENCH_PROJECT, BENCH_KEY, BENCH_BODIES, BENCH_INDEX, BENCH_SDK,
// BENCH_OFFSET, and either
// BENCH_VUS + BENCH_DURATION (closed model: N clients sending back to back) or
// BENCH_RATE (+ BENCH_MAX_VUS) for an open model at a fixed arrival rate (overload runs).
import http from "k6/http";
import { sleep } from "k6";
import exec from "k6/execution";
import { SharedArray } from "k6/data";
import { Counter } from "k6/metrics";
import { open as openFile, SeekMode } from "k6/experimental/fs";

const index = new SharedArray("index", () => JSON.parse(open(__ENV.BENCH_INDEX)));
let bodies;
(async function () {
  bodies = await openFile(__ENV.BENCH_BODIES);
})();

const accepted = new Counter("bench_accepted");
const throttled = new Counter("bench_429");
const unavailable = new Counter("bench_503");
const otherStatus = new Counter("bench_other_status");
const noAnswer = new Counter("bench_no_answer");
const noRetryAfter = new Counter("bench_429_503_without_retry_after");
const exhausted = new Counter("bench_bodies_exhausted");

const duration = __ENV.BENCH_DURATION || "10s";
const scenario = __ENV.BENCH_RATE
  ? {
      executor: "constant-arrival-rate",
      rate: Number(__ENV.BENCH_RATE),
      timeUnit: "1s",
      duration: duration,
      preAllocatedVUs: Number(__ENV.BENCH_VUS || 50),
      maxVUs: Number(__ENV.BENCH_MAX_VUS || 400),
    }
  : { executor: "constant-vus", vus: Number(__ENV.BENCH_VUS || 8), duration: duration };

export const options = {
  scenarios: { ingest: scenario },
  discardResponseBodies: false,
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)"],
  // Thresholds that always pass: they make k6 export these sub-metrics in the summary.
  thresholds: {
    "http_req_duration{status:200}": ["max>=0"],
    "http_req_duration{status:429}": ["max>=0"],
    "http_req_duration{status:503}": ["max>=0"],
  },
};

const url = `${__ENV.BENCH_URL}/api/${__ENV.BENCH_PROJECT}/envelope/`;
const params = {
  headers: {
    "Content-Type": "application/x-sentry-envelope",
    "Content-Encoding": "gzip",
    "X-Sentry-Auth": `Sentry sentry_version=7, sentry_key=${__ENV.BENCH_KEY}, sentry_client=${__ENV.BENCH_SDK}`,
    "User-Agent": __ENV.BENCH_SDK,
  },
  timeout: "30s",
  responseType: "none",
};

const firstBody = Number(__ENV.BENCH_OFFSET || 0); // bodies before it were the warm-up

export default async function () {
  const n = firstBody + exec.scenario.iterationInTest;
  if (n >= index.length) {
    exhausted.add(1);
    sleep(0.1); // the runner reports this; do not spin
    return;
  }
  const [offset, length] = index[n];
  const body = new Uint8Array(length);
  await bodies.seek(offset, SeekMode.Start);
  let read = 0;
  while (read < length) {
    const got = await bodies.read(body.subarray(read));
    if (got === null) break;
    read += got;
  }
  const res = http.post(url, body.buffer, params);
  if (res.status === 200) {
    accepted.add(1);
  } else if (res.status === 429 || res.status === 503) {
    (res.status === 429 ? throttled : unavailable).add(1);
    if (!res.headers["Retry-After"]) noRetryAfter.add(1);
  } else {
    otherStatus.add(1);
    if (res.status === 0) noAnswer.add(1);
  }
}
