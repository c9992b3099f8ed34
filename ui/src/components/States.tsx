// The three states every view shows when it has no content to show: empty,
// loading and error. Each says what happened and, where possible, what to do.
import type { ComponentChildren } from "preact";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div class="state" role="status" aria-live="polite" data-state="loading">
      <div class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state" data-state="empty">
      <div class="state-title">{title}</div>
      {children && <div class="state-body">{children}</div>}
    </div>
  );
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert" data-state="error">
      <div class="state-title">Something went wrong</div>
      <div class="state-body">{message}</div>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
