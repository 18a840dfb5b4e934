// uPlot is loaded by its own <script> (the build shipped in the uplot package) and defines a global.
import type UPlot from 'uplot';

declare global {
  const uPlot: typeof UPlot;
}
