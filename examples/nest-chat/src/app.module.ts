// The example app: configuration from the environment, ConnectlyModule registered asynchronously from it.
// Conversations live in Redis when REDIS_URL is set (every instance of the app continues the same one),
// otherwise in this process's memory.

import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MemorySessionStore } from 'connectly-agent-graph';
import { RedisSessionStore } from 'connectly-session-redis';
import { ConnectlyModule } from 'nestjs-connectly';
import { ChatController } from './chat.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    ConnectlyModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        apiKey: config.getOrThrow<string>('CONNECTLY_API_KEY'),
        businessId: config.getOrThrow<string>('CONNECTLY_BUSINESS_ID'),
        baseUrl: config.get<string>('CONNECTLY_BASE_URL') ?? 'https://api.connectly.ai',
        // A factory: the module builds the store and closes it on shutdown.
        sessionStore: () => {
          const url = config.get<string>('REDIS_URL');
          return url ? new RedisSessionStore({ url }) : new MemorySessionStore();
        },
      }),
    }),
  ],
  controllers: [ChatController],
})
export class AppModule {}
