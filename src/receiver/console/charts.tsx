/**
 * Inline SVG charts: no charting library, no script, no inline style (the CSP forbids it), only
 * attributes and classes from the served stylesheet. Each has a text equivalent for screen readers.
 * @module
 */
import type { HourCounts } from "../../domain/storage/console-overview.ts";
import type { EventStatus } from "../../domain/storage/events.ts";

const STATUSES: EventStatus[] = ["accepted", "recorded", "invalid"];

/** Webhooks per hour, stacked by status, oldest hour on the left. */
export function HourlyChart(props: { hours: HourCounts[] }) {
  const width = 720;
  const height = 160;
  const top = 10;
  const bottom = 20;
  const plot = height - top - bottom;
  const totals = props.hours.map((h) => STATUSES.reduce((n, s) => n + h.counts[s], 0));
  const max = Math.max(1, ...totals);
  const slot = width / props.hours.length;
  const sum = totals.reduce((a, b) => a + b, 0);
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Webhooks per hour over the last 24 hours: ${sum} in all, at most ${max === 1 && sum === 0 ? 0 : max} in one hour.`}
      >
        <line class="axis" x1="0" x2={width} y1={top + plot} y2={top + plot} />
        {props.hours.map((h, i) => {
          let y = top + plot;
          return (
            <g>
              <title>{`${h.hour.slice(11, 16)} UTC: ${h.counts.accepted} accepted, ${h.counts.recorded} recorded, ${h.counts.invalid} invalid`}</title>
              {STATUSES.map((s) => {
                const barHeight = (h.counts[s] / max) * plot;
                y -= barHeight;
                return barHeight > 0 ? (
                  <rect
                    class={s}
                    x={(i * slot + 2).toFixed(1)}
                    y={y.toFixed(1)}
                    width={(slot - 4).toFixed(1)}
                    height={barHeight.toFixed(1)}
                  />
                ) : null;
              })}
              {i % 4 === 0 && (
                <text x={(i * slot + 2).toFixed(1)} y={height - 6}>
                  {h.hour.slice(11, 16)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {STATUSES.map((s) => (
            <li>
              <span class={s} />
              {s}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** Gigs stored against Argyle's count, as a bar; amber when behind. */
export function CountBar(props: { stored: number; available: number | null }) {
  const available = props.available ?? 0;
  const ratio = available > 0 ? Math.min(1, props.stored / available) : props.stored > 0 ? 1 : 0;
  const behind = props.available !== null && props.stored < props.available;
  return (
    <svg
      class="bar"
      viewBox="0 0 100 10"
      role="img"
      aria-label={`${props.stored} of ${props.available ?? "unknown"} stored`}
    >
      <rect class="track" x="0" y="0" width="100" height="10" rx="2" />
      <rect class={behind ? "fill behind" : "fill"} x="0" y="0" width={(ratio * 100).toFixed(1)} height="10" rx="2" />
    </svg>
  );
}
