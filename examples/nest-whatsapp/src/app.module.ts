// The WhatsApp agent app: the agent and the Message API in one ConnectlyModule configuration, from the
// environment; the messaging key defaults to the agent key.

import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ConnectlyModule } from 'nestjs-connectly';
import { ConversationsService } from './conversations.service.js';
import { HandoverDesk } from './handover-desk.service.js';
import { WhatsAppController } from './whatsapp.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    ConnectlyModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        apiKey: config.getOrThrow<string>('CONNECTLY_API_KEY'),
        businessId: config.getOrThrow<string>('CONNECTLY_BUSINESS_ID'),
        baseUrl: config.get<string>('CONNECTLY_BASE_URL') ?? 'https://api.connectly.ai',
        messaging: {
          apiKey: config.get<string>('CONNECTLY_MESSAGING_API_KEY'),
          webhookSecret: config.getOrThrow<string>('CONNECTLY_WEBHOOK_SECRET'),
        },
      }),
    }),
  ],
  controllers: [WhatsAppController],
  providers: [ConversationsService, HandoverDesk],
})
export class AppModule {}
