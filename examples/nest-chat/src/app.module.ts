// The example app: configuration from the environment, ConnectlyModule registered asynchronously from it.

import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
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
      }),
    }),
  ],
  controllers: [ChatController],
})
export class AppModule {}
