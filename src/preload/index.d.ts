import type { StrataBridge } from '../shared/api';

declare global {
  interface Window {
    strata?: StrataBridge;
  }
}
