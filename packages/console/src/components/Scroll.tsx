/**
 * A horizontally scrolling box for wide tables on narrow screens. It is focusable and named, so
 * keyboard users can scroll it too (WCAG 2.1.1; axe: scrollable-region-focusable).
 */
import type { ComponentChildren } from "preact";

/** Wraps `children` (a table) in a keyboard-scrollable region labelled `label`. */
export function Scroll(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
