import { Errno } from '../../src/abi/constants';

/** An errno as its name, so a failed expectation reads `BADF`, not `8`. */
export function errname(n: number): string {
  return Errno[n] ?? `errno ${n}`;
}
