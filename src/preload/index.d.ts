import type { StrataApi } from '../shared/api';

declare global {
  interface Window {
    strata?: StrataApi;
  }
}
