// The WhatsApp agent app: the agent, the Message API and the conversation loop in one ConnectlyModule
// configuration, from the environment. With REDIS_URL the loop's state (deliveries, inboxes, holds,
// choices, sessions) lives in Redis, shared by every replica; without it, in this process's memory.

import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { RedisConversationStore } from 'connectly-session-redis';
import { ConnectlyModule, MemoryConversationStore } from 'nestjs-connectly';
import { ConversationsService } from './conversations.service.js';
import { HandoverDesk } from './handover-desk.service.js';
import { WhatsAppController } from './whatsapp.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    ConnectlyModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        const redisUrl = config.get<string>('REDIS_URL');
        return {
          apiKey: config.getOrThrow<string>('CONNECTLY_API_KEY'),
          businessId: config.getOrThrow<string>('CONNECTLY_BUSINESS_ID'),
          baseUrl: config.get<string>('CONNECTLY_BASE_URL') ?? 'https://api.connectly.ai',
          // A replica that dies in a turn holds its customer's session (and turns) for at most this long;
          // a live one renews both every third of it.
          sessionLeaseMs: 5_000,
          messaging: {
            apiKey: config.get<string>('CONNECTLY_MESSAGING_API_KEY'),
            webhookSecret: config.getOrThrow<string>('CONNECTLY_WEBHOOK_SECRET'),
          },
          conversations: {
            // A factory: the module closes the store it built on shutdown.
            store: () =>
              redisUrl
                ? new RedisConversationStore({ url: redisUrl, prefix: 'whatsapp:' })
                : new MemoryConversationStore(),
            leaseMs: 5_000,
          },
        };
      },
    }),
  ],
  controllers: [WhatsAppController],
  providers: [ConversationsService, HandoverDesk],
})
export class AppModule {}
