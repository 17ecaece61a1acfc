import type { StrataClient } from '../shared/api';

declare global {
  interface Window {
    strata?: StrataClient;
  }
}
