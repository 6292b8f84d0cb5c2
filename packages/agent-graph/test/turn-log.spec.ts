// Resumable turns on the memory store: the TurnLogStore conformance suite, and the options' checks.
import { ConnectlyValidationError, MemoryTurnLogStore, TurnLog, type TurnLogStore } from '../src/index.js';
import { turnLogConformance } from './turn-log-conformance.js';

turnLogConformance('MemoryTurnLogStore', () => new MemoryTurnLogStore());

describe('TurnLog options', () => {
  it('names what is missing from a store that is not a TurnLogStore', () => {
    expect(() => new TurnLog({ store: {} as TurnLogStore })).toThrow(/must implement TurnLogStore \(missing create/);
  });

  it('rejects a lease or retention below 100 ms', () => {
    const store = new MemoryTurnLogStore();
    expect(() => new TurnLog({ store, leaseMs: 5 })).toThrow(ConnectlyValidationError);
    expect(() => new TurnLog({ store, retentionMs: Number.NaN })).toThrow(/retentionMs/);
  });
});
