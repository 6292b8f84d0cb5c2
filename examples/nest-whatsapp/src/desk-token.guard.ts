// Only the desk may hand a conversation back to the bot: the release route wants
// `Authorization: Bearer <DESK_TOKEN>`, compared in constant time; without DESK_TOKEN set it refuses everyone.

import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

@Injectable()
export class DeskTokenGuard implements CanActivate {
  constructor(private readonly config: ConfigService) {}

  canActivate(context: ExecutionContext): boolean {
    const token = this.config.get<string>('DESK_TOKEN');
    if (!token) {
      throw new UnauthorizedException(
        'Releasing is off: set DESK_TOKEN and send it as "Authorization: Bearer <token>"',
      );
    }
    const header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['authorization'];
    const given = typeof header === 'string' ? /^Bearer (.+)$/i.exec(header.trim())?.[1] : undefined;
    // Digests of equal length, so the comparison says nothing about the token's length or bytes.
    if (given === undefined || !timingSafeEqual(digest(given), digest(token))) {
      throw new UnauthorizedException('Send the desk token as "Authorization: Bearer <DESK_TOKEN>"');
    }
    return true;
  }
}
