// A health indicator for @nestjs/terminus 12: calls Connectly's health endpoint with a timeout.

import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConnectlyService } from '../connectly.service.js';

export interface ConnectlyHealthOptions {
  /** Longest wait for the answer, in ms. Default 3000. */
  timeoutMs?: number;
  /** Reuse a result for this long (ms), so frequent probes do not each call Connectly. */
  cacheMs?: number;
}

@Injectable()
export class ConnectlyHealthIndicator {
  constructor(
    private readonly connectly: ConnectlyService,
    private readonly health: HealthIndicatorService,
  ) {}

  /** `up` when Connectly answers healthy; `down` when it answers unhealthy, fails, or times out. */
  isHealthy<const Key extends string>(key: Key, options: ConnectlyHealthOptions = {}) {
    const attempt = this.health
      .check(key)
      .attempt(async ({ signal }) => {
        if (!(await this.connectly.ping(signal))) throw new Error('Connectly answered that it is not healthy');
      })
      .withTimeout(options.timeoutMs ?? 3000);
    return options.cacheMs ? attempt.cacheFor(options.cacheMs) : attempt;
  }
}
