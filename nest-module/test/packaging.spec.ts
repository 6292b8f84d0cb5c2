// The built package as Nest apps load it: require() from CommonJS, import() from ESM, and the terminus
// entry point kept separate so apps without terminus never load it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

describe('packaging', () => {
  it('a CommonJS app builds a context with ConnectlyService, without loading terminus', () => {
    const out = node([
      '-e',
      `require('reflect-metadata');
       const { Module } = require('@nestjs/common');
       const { NestFactory } = require('@nestjs/core');
       const { ConnectlyModule, ConnectlyService } = require('nestjs-connectly');
       const decorate = (d, t) => d(t) || t;
       class AppModule {}
       decorate(Module({ imports: [ConnectlyModule.forRoot({ apiKey: 'k', businessId: 'b' })] }), AppModule);
       NestFactory.createApplicationContext(AppModule, { logger: false }).then(async (ctx) => {
         const service = ctx.get(ConnectlyService);
         const terminus = Object.keys(require.cache).some((f) => f.includes('@nestjs/terminus'));
         console.log(service.client.businessId, terminus);
         await ctx.close();
       });`,
    ]);
    expect(out.trim()).toBe('b false');
  });

  it('an ESM app imports both entry points', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import 'reflect-metadata';
       import { ConnectlyModule, ConnectlyService, toSse } from 'nestjs-connectly';
       import { ConnectlyHealthIndicator } from 'nestjs-connectly/terminus';
       console.log(typeof ConnectlyModule.forRoot, typeof ConnectlyService, typeof toSse, typeof ConnectlyHealthIndicator);`,
    ]);
    expect(out.trim()).toBe('function function function function');
  });
});
