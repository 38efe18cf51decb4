/**
 * A time-series chart on uPlot (≈ 50 KB, canvas, fast with thousands of points). The canvas is
 * an image to assistive technology, labelled with a summary; the numbers are in the page's text
 * too.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** One line: which field of each bucket, its label and colour. */
export interface Line {
  label: string;
  values: number[];
  color: string;
}

/** Draws `lines` over `times` (ISO strings) at the container's width. */
export function TimeChart(props: { title: string; times: string[]; lines: Line[]; unit?: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.times.map((t) => Date.parse(t) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: props.height ?? 180,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ stroke: "#444" }, { stroke: "#444", size: 56, values: (_u, v) => v.map((n) => `${n}${props.unit ?? ""}`) }],
        series: [{}, ...props.lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, points: { show: false } }))],
      },
      [xs, ...props.lines.map((l) => l.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.lines, props.unit, props.height]);
  const summary = props.lines.map((l) => `${l.label}: total ${l.values.reduce((a, b) => a + b, 0).toFixed(0)}, peak ${Math.max(0, ...l.values).toFixed(0)}`).join("; ");
  return (
    <figure class="chart">
      <figcaption>
        {props.title}
        <span class="legend">
          {props.lines.map((l) => (
            <span key={l.label}>
              <i class="swatch" style={{ background: l.color }} aria-hidden="true" /> {l.label}
            </span>
          ))}
        </span>
      </figcaption>
      <div ref={box} role="img" aria-label={`${props.title}. ${summary}`} />
    </figure>
  );
}
