import { render } from "preact";
import { App } from "./app";
import { applyAppearance, loadAppearance } from "./lib/theme";
import "./styles.css";
import "./history.css";

applyAppearance(loadAppearance());
render(<App />, document.getElementById("app")!);
