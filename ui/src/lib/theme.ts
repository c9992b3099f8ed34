// Light / dark appearance: follows the system unless the user picks one in
// Settings; the choice is a per-device preference kept in localStorage.

export type Appearance = "system" | "light" | "dark";
const KEY = "noesis.appearance";

export function loadAppearance(): Appearance {
  const saved = globalThis.localStorage?.getItem(KEY);
  return saved === "light" || saved === "dark" ? saved : "system";
}

export function applyAppearance(appearance: Appearance): void {
  const root = document.documentElement;
  if (appearance === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", appearance);
  globalThis.localStorage?.setItem(KEY, appearance);
}
